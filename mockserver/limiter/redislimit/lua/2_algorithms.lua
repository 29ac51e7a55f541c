-- redislimit's algorithms: each loads a slot's state and advances it to the slot's instant
-- (load), and decides (fits), takes (take), charges (charge), saves (save), reports (out) and
-- says when the state is as good as fresh again (ttl, in µs).

local ALG = {}

-- Token bucket: whole + frac/W tokens, capacity cap, refilled at L per W. p = cap, L, W.
ALG.tb = {
	load = function(s, h)
		local cap, L, W = s.p[1], s.p[2], s.p[3]
		if s.fresh then
			s.whole, s.frac = cap, 0
			return
		end
		s.whole, s.frac = tonumber(h[4]), tonumber(h[5])
		if s.last and s.t ~= s.last and s.whole < cap then
			local missing = sub(mul(cap - s.whole, W), s.frac)
			local gained = mul(s.t - s.last, L)
			if cmp(gained, missing) >= 0 then
				s.whole, s.frac = cap, 0
			else
				local q, r = divmod(gained, W)
				s.whole, s.frac = s.whole + q, s.frac + r
				if s.frac >= W then
					s.whole, s.frac = s.whole + 1, s.frac - W
				end
			end
		end
	end,
	fits = function(s, cost) return s.whole >= cost end,
	take = function(s, cost) s.whole = s.whole - cost end,
	charge = function(s, cost)
		s.whole = sat(s.whole - cost)
		if s.whole >= s.p[1] then
			s.whole, s.frac = s.p[1], 0
		end
	end,
	ttl = function(s) return ((s.p[1] - s.whole) * s.p[3] - s.frac) / s.p[2] end,
	save = function(s) return s.whole, s.frac, nil end,
	out = function(s) return s.whole, s.frac, 0 end,
}

-- GCRA: theoretical arrival time tat + tnum/L µs (tat -1 before the first admission).
-- p = burst, L, W, tau, taunum (tau = burst·W/L as tau + taunum/L).
local function from(s)
	if s.tat < s.t then
		return s.t, 0
	end
	return s.tat, s.tnum
end

local function after(s, at, num, n) -- (at + num/L) + n·W/L, saturated
	local L, neg = s.p[2], n < 0
	if neg then
		n = -n
	end
	local q, r = divmod(mul(n, s.p[3]), L)
	if q == nil or q > M then
		q, r = M, 0
	end
	if neg then
		at, num = sat(at - q), num - r
		if num < 0 then
			at, num = at - 1, num + L
		end
	else
		at, num = sat(at + q), num + r
		if num >= L then
			at, num = at + 1, num - L
		end
	end
	return at, num
end

ALG.gcra = {
	load = function(s, h)
		if s.fresh then
			s.tat, s.tnum = -1, 0
		else
			s.tat, s.tnum = tonumber(h[4]), tonumber(h[5])
		end
	end,
	fits = function(s, cost)
		local at, num = from(s)
		s.nat, s.nnum = after(s, at, num, cost)
		local wait, tau = s.nat - s.t, s.p[4]
		return wait < tau or (wait == tau and s.nnum <= s.p[5])
	end,
	take = function(s) s.tat, s.tnum = s.nat, s.nnum end,
	charge = function(s, cost)
		local at, num = from(s)
		s.tat, s.tnum = after(s, at, num, cost)
		if s.tat < s.t then
			s.tat, s.tnum = s.t, 0
		end
	end,
	ttl = function(s) return s.tat - s.t + 1 end,
	save = function(s) return s.tat, s.tnum, nil end,
	out = function(s) return s.tat, s.tnum, 0 end,
}

-- Leaky bucket (nginx limit_req): backlog whole + frac/W draining at L per W. p = burst, L, W.
ALG.lb = {
	load = function(s, h)
		if s.fresh then
			s.whole, s.frac = 0, 0
			return
		end
		s.whole, s.frac = tonumber(h[4]), tonumber(h[5])
		if s.last and s.t ~= s.last and (s.whole ~= 0 or s.frac ~= 0) then
			local have = add(mul(s.whole, s.p[3]), s.frac)
			local drained = mul(s.t - s.last, s.p[2])
			if cmp(drained, have) >= 0 then
				s.whole, s.frac = 0, 0
			else
				s.whole, s.frac = divmod(sub(have, drained), s.p[3])
			end
		end
	end,
	fits = function(s) return s.whole < s.p[1] or (s.whole == s.p[1] and s.frac == 0) end,
	take = function(s, cost) s.whole = sat(s.whole + cost) end,
	charge = function(s, cost)
		s.whole = sat(s.whole + cost)
		if s.whole < 0 then
			s.whole, s.frac = 0, 0
		end
	end,
	ttl = function(s) return (s.whole * s.p[3] + s.frac) / s.p[2] end,
	save = function(s) return s.whole, s.frac, nil end,
	out = function(s) return s.whole, s.frac, 0 end,
}

-- Fixed window: count units in [start, start+W). p = L, W, rolling (0: windows aligned to the
-- Unix epoch; 1: a window opened by the first request after the last one ended).
ALG.fw = {
	load = function(s, h)
		if not s.fresh then
			s.start, s.count = tonumber(h[4]), tonumber(h[5])
		end
		local W = s.p[2]
		if s.p[3] == 1 then
			if s.start == nil or s.t - s.start >= W then
				s.start, s.count = s.t, 0
			end
		else
			local start = s.t - mod(s.t, W)
			if start ~= s.start then
				s.start, s.count = start, 0
			end
		end
	end,
	fits = function(s, cost) return cost <= s.p[1] - s.count end,
	take = function(s, cost) s.count = s.count + cost end,
	charge = function(s, cost) s.count = math.max(sat(s.count + cost), 0) end,
	ttl = function(s) return s.start + s.p[2] - s.t end,
	save = function(s) return s.start, s.count, nil end,
	out = function(s) return s.start, s.count, 0 end,
}

-- Sliding window counter: epoch-aligned prev and curr counts; a request passes iff
-- 2·prev·(W − elapsed) < (2·room + k2)·W + f with room = L − curr − cost. p = L, W, k2, f.
ALG.sw = {
	load = function(s, h)
		s.prev, s.curr = 0, 0
		if not s.fresh then
			s.start, s.prev, s.curr = tonumber(h[4]), tonumber(h[5]), tonumber(h[6])
		end
		local W = s.p[2]
		local start = s.t - mod(s.t, W)
		if start ~= s.start then
			if s.start ~= nil and start == s.start + W then
				s.prev = s.curr
			else
				s.prev = 0
			end
			s.start, s.curr = start, 0
		end
	end,
	fits = function(s, cost)
		local L, W = s.p[1], s.p[2]
		local room = L - s.curr - cost
		if room < 0 then
			return false
		end
		local lhs = mul(2 * s.prev, s.start + W - s.t)
		return cmp(lhs, add(mul(2 * room + s.p[3], W), s.p[4])) < 0
	end,
	take = function(s, cost) s.curr = s.curr + cost end,
	charge = function(s, cost)
		if cost >= 0 then
			s.curr = sat(s.curr + cost)
			return
		end
		local refund = -cost
		local take = math.min(refund, s.curr)
		s.curr = s.curr - take
		s.prev = math.max(s.prev - (refund - take), 0)
	end,
	ttl = function(s)
		if s.curr > 0 then
			return s.start + 2 * s.p[2] - s.t
		elseif s.prev > 0 then
			return s.start + s.p[2] - s.t
		end
		return 0
	end,
	save = function(s) return s.start, s.prev, s.curr end,
	out = function(s) return s.start, s.prev, s.curr end,
}

-- Sliding log: the list holds one "at:total" entry per instant (running totals of costs),
-- oldest first; the hash holds base (the total before the oldest live entry) and total.
-- Writes (allow, charge) drop expired entries from the list; try only skips them (s.off).
local function parse(e)
	local at, total = string.match(e, "^(%-?%d+):(%-?%d+)$")
	return tonumber(at), tonumber(total)
end

local function entry(s, i) -- i-th live entry, 0-based
	return parse(redis.call("LINDEX", s.logkey, s.off + i))
end

-- first returns the index of the first live entry whose running total is >= target.
local function first(s, target)
	local lo, hi = 0, s.len - 1
	while lo < hi do
		local mid = math.floor((lo + hi) / 2)
		local _, total = entry(s, mid)
		if total >= target then
			hi = mid
		else
			lo = mid + 1
		end
	end
	return lo
end

-- retry returns the instant of the entry that must expire for cost to fit, or -1 when it fits
-- or never can.
local function retry(s, cost)
	local sum = s.total - s.base
	if cost <= s.p[1] - sum or cost > s.p[1] or s.len == 0 then
		return -1
	end
	local at = entry(s, first(s, s.base + sum + cost - s.p[1]))
	return at
end

-- newest returns the newest live entry's instant (remembered in s.nw until the tail changes),
-- or nil when the log is empty.
local function newest(s)
	if s.len == 0 then
		return nil
	end
	if s.nw == nil then
		s.nw = entry(s, s.len - 1)
	end
	return s.nw
end

local function push(s, cost)
	s.total = sat(s.total + cost)
	if newest(s) == s.t then
		redis.call("LSET", s.logkey, -1, str(s.t) .. ":" .. str(s.total))
		return
	end
	redis.call("RPUSH", s.logkey, str(s.t) .. ":" .. str(s.total))
	s.len, s.nw = s.len + 1, s.t
end

ALG.sl = {
	load = function(s, h)
		s.base, s.total, s.off, s.len = 0, 0, 0, 0
		if s.fresh then
			if s.write then
				redis.call("DEL", s.logkey)
			end
			return
		end
		s.base, s.total = tonumber(h[4]), tonumber(h[5])
		s.len = redis.call("LLEN", s.logkey)
		local cutoff = s.t - s.p[2]
		if s.write then
			-- Drop expired entries from the front, a chunk at a time: amortized O(1). Usually the
			-- oldest entry is live and one LINDEX says so.
			local done = s.len == 0 or entry(s, 0) > cutoff
			while not done do
				local es, k = redis.call("LRANGE", s.logkey, 0, 31), 0
				for i, e in ipairs(es) do
					local at, total = parse(e)
					if at > cutoff then
						break
					end
					k, s.base = i, total
				end
				if k > 0 then
					redis.call("LTRIM", s.logkey, k, -1)
					s.len = s.len - k
				end
				done = s.len == 0 or k < #es
			end
		else
			-- Skip them by binary search, O(log n) however many have expired.
			local lo, hi = 0, s.len
			while lo < hi do
				local mid = math.floor((lo + hi) / 2)
				if entry(s, mid) <= cutoff then
					lo = mid + 1
				else
					hi = mid
				end
			end
			if lo > 0 then
				local _, total = entry(s, lo - 1)
				s.base = total
			end
			s.off, s.len = lo, s.len - lo
		end
		if s.len == 0 then
			s.base, s.total = 0, 0
		end
	end,
	fits = function(s, cost) return cost <= s.p[1] - (s.total - s.base) end,
	take = function(s, cost)
		if cost > 0 then
			push(s, cost)
		end
	end,
	charge = function(s, cost)
		if cost > 0 then
			push(s, cost)
			return
		end
		local amount = -cost
		while amount > 0 and s.len > 0 do
			local at, total = entry(s, s.len - 1)
			local before = s.base
			if s.len > 1 then
				local _, t2 = entry(s, s.len - 2)
				before = t2
			end
			if total - before > amount then
				redis.call("LSET", s.logkey, -1, str(at) .. ":" .. str(total - amount))
				s.total = s.total - amount
				return
			end
			amount, s.total = amount - (total - before), before
			redis.call("RPOP", s.logkey)
			s.len, s.nw = s.len - 1, nil
		end
		if s.len == 0 then
			s.base, s.total = 0, 0
		end
	end,
	ttl = function(s)
		if s.len == 0 then
			return 0
		end
		return newest(s) + s.p[2] - s.t
	end,
	save = function(s) return s.base, s.total, nil end,
	-- out: the sum, the newest entry's instant (-1 when empty) and the retry entry of the op's cost.
	out = function(s, cost)
		return s.total - s.base, newest(s) or -1, retry(s, cost)
	end,
}

