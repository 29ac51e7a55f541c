-- redislimit's entry point: read the clock, load every slot, decide, write back, report.

-- Effects replication (the default since Redis 5, the only mode since 7) lets a script that
-- reads TIME write; older servers need it asked for.
if redis.replicate_commands then
	redis.replicate_commands()
end

local now = ARGV[1]
if now == "" then
	local tm = redis.call("TIME")
	now = tonumber(tm[1]) * 1000000 + tonumber(tm[2])
else
	now = tonumber(now)
end
local all = ARGV[2] == "all"
local margin = tonumber(ARGV[3])

-- load reads a slot's state and advances it to the slot's instant, the later of now and the
-- last instant it saw. A slot that does not write (a try, or a charge of a refused request in
-- "all" mode) changes nothing, not even the instant it saw, as its limiter is not consulted.
local function load(s)
	local h = redis.call("HMGET", s.key, "fp", "last", "n", "a", "b", "c")
	s.fresh = h[1] ~= s.fp
	s.n = 0
	if not s.fresh then
		s.last, s.n = tonumber(h[2]), tonumber(h[3])
	end
	s.t = now
	if s.last and s.last > now then
		s.t = s.last
	end
	s.alg.load(s, h)
end

local slots = {}
for i = 1, (#ARGV - 3) / 9 do
	local o = 3 + (i - 1) * 9
	slots[i] = {
		op = tonumber(ARGV[o + 1]),
		cost = tonumber(ARGV[o + 2]),
		alg = ALG[ARGV[o + 3]],
		fp = ARGV[o + 4],
		p = { tonumber(ARGV[o + 5]), tonumber(ARGV[o + 6]), tonumber(ARGV[o + 7]), tonumber(ARGV[o + 8]), tonumber(ARGV[o + 9]) },
		key = KEYS[2 * i - 1],
		logkey = KEYS[2 * i],
	}
end

-- Decide: in "all" mode every allowing slot must fit for any to take its cost, and the charging
-- slots are charged (loaded, written) only then.
local admit = true
for _, s in ipairs(slots) do
	if s.op ~= 2 then
		s.write = s.op == 1
		load(s)
		s.fits = s.alg.fits(s, math.max(s.cost, 0))
		admit = admit and s.fits
	end
end
for _, s in ipairs(slots) do
	if s.op == 2 then
		s.write = admit or not all
		load(s)
	end
end

local res = {}
for _, s in ipairs(slots) do
	local a, b, c
	local cost, taken = math.max(s.cost, 0), false
	if s.op == 2 then
		if s.write then
			s.alg.charge(s, s.cost)
			taken = true
		end
		a, b, c = s.alg.out(s, 0)
	else
		a, b, c = s.alg.out(s, cost)
		if s.op == 1 and s.fits and (admit or not all) then
			s.alg.take(s, cost)
			taken = true
		end
	end
	-- x: for the sliding log, the retry entry of a zero-cost request on the state after the op.
	local x = 0
	if s.alg == ALG.sl then
		x = retry(s, 0)
	end
	if s.write then
		s.n = s.n + 1
		local sa, sb, sc = s.alg.save(s)
		redis.call("HSET", s.key, "fp", s.fp, "last", str(s.t), "n", str(s.n), "a", str(sa), "b", str(sb), "c", str(sc))
		-- Expire the state once it is as good as fresh (a full bucket, an empty window), plus the
		-- margin; capped at MAXTTL ms so that a deep debt still gives a valid expiry.
		local ttl = str(math.min(math.ceil(math.max(s.alg.ttl(s), 0) / 1000) + margin, MAXTTL))
		redis.call("PEXPIRE", s.key, ttl)
		if s.alg == ALG.sl then
			redis.call("PEXPIRE", s.logkey, ttl)
		end
	end
	local fits = 0
	if s.fits then
		fits = 1
	end
	local tk = 0
	if taken then
		tk = 1
	end
	for _, v in ipairs({ s.t, s.n, fits, tk, a, b, c, x, 0 }) do
		res[#res + 1] = v
	end
end
return res
