-- redislimit: decide requests on one or more rate limiters atomically, in one round trip.
-- The algorithms are those of the Go package limiter, decided exactly; limiter.go (Store.run)
-- sends the arguments below and decode.go turns the returned state into header values. The
-- three files lua/1_arith.lua, 2_algorithms.lua and 3_main.lua are one script.
--
-- ARGV: now (Unix microseconds; "" reads Redis's clock with TIME), mode ("each": every slot
-- does its own op; "all": the allowing slots all take their cost or none does, and the
-- charging slots are charged only when they do), expiry
-- margin in ms, then per slot 9 fields: op (1 allow, 2 charge, 3 try: allow without taking),
-- cost, algorithm, config fingerprint, p1..p5.
-- KEYS: per slot, the state hash and the sliding log's list.
-- Returns per slot 9 integers: t, n, fits, taken, a, b, c, x, 0 where t is the instant decided
-- at, n the slot's count of writes, and a..x the state (before the op for allow and try, after
-- it for charge) as each algorithm's out() says.
--
-- Lua numbers are doubles: every amount and instant is kept below M = 2^52, and products that
-- reach it go through base-2^24 limbs so that they are exact.

local M = 4503599627370496
local BASE = 16777216
local TWO53 = 9007199254740992
local MAXTTL = 1e12 -- ms, about 31 years

-- Exact non-negative integers: a Lua number while below M (exact, and sums of two stay exact),
-- else a table of 6 little-endian limbs of 24 bits. The operations take either form.
local function wide(a) -- a: number in [0, 2^72), or already limbs
	if type(a) ~= "number" then
		return a
	end
	local x = { 0, 0, 0, 0, 0, 0 }
	for i = 1, 3 do
		local l = a % BASE
		x[i] = l
		a = (a - l) / BASE
	end
	return x
end

local function carry(z)
	local c = 0
	for i = 1, 6 do
		local v = z[i] + c
		local l = v % BASE
		z[i] = l
		c = (v - l) / BASE
	end
	return z
end

-- mul returns a·b for numbers a, b in [0, 2^72) whose product is below 2^144. A double product
-- below M is exact (and one whose true value is M or more rounds to M or more).
local function mul(a, b)
	local p = a * b
	if p < M then
		return p
	end
	local x, y = wide(a), wide(b)
	local z = { 0, 0, 0, 0, 0, 0 }
	for i = 1, 3 do
		for j = 1, 3 do
			z[i + j - 1] = z[i + j - 1] + x[i] * y[j]
		end
	end
	return carry(z)
end

local function add(x, y)
	if type(x) == "number" and type(y) == "number" then
		local s = x + y
		if s < M then
			return s
		end
	end
	x, y = wide(x), wide(y)
	local z = {}
	for i = 1, 6 do
		z[i] = x[i] + y[i]
	end
	return carry(z)
end

local function sub(x, y) -- requires x >= y
	if type(x) == "number" and type(y) == "number" then
		return x - y
	end
	x, y = wide(x), wide(y)
	local z, b = {}, 0
	for i = 1, 6 do
		local v = x[i] - y[i] - b
		if v < 0 then
			v, b = v + BASE, 1
		else
			b = 0
		end
		z[i] = v
	end
	return z
end

local function cmp(x, y)
	if type(x) == "number" and type(y) == "number" then
		if x < y then
			return -1
		elseif x > y then
			return 1
		end
		return 0
	end
	x, y = wide(x), wide(y)
	for i = 6, 1, -1 do
		if x[i] ~= y[i] then
			return x[i] < y[i] and -1 or 1
		end
	end
	return 0
end

local function approx(x)
	if type(x) == "number" then
		return x
	end
	local v = 0
	for i = 6, 1, -1 do
		v = v * BASE + x[i]
	end
	return v
end

-- divmod returns floor(x/d) and x mod d for an integer d in [1, 2^53), or nil when the quotient
-- is 2^53 or more. The float estimate is within a few units; the loops correct it exactly.
local function divmod(x, d)
	local q = math.floor(approx(x) / d)
	if type(x) == "number" and d < M then
		-- q·d <= x + d < 2^53: exact.
		local r = x - q * d
		if r < 0 then
			q, r = q - 1, r + d
		elseif r >= d then
			q, r = q + 1, r - d
		end
		return q, r
	end
	if q >= TWO53 then
		return nil
	end
	local p = mul(q, d)
	while cmp(p, x) > 0 do
		q = q - 1
		p = mul(q, d)
	end
	local r = sub(x, p)
	while cmp(r, d) >= 0 do
		q = q + 1
		r = sub(r, d)
	end
	return q, approx(r)
end

local function sat(x)
	if x > M then
		return M
	elseif x < -M then
		return -M
	end
	return x
end

-- mod is a mod b for 0 <= a < 2^53, b > 0, exact whatever a/b rounds to.
local function mod(a, b)
	local r = a - math.floor(a / b) * b
	if r < 0 then
		r = r + b
	elseif r >= b then
		r = r - b
	end
	return r
end

local function str(x)
	if x == nil then
		return ""
	end
	return string.format("%.0f", x)
end

