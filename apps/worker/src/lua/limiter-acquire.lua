-- Shared provider limiter, one slot per call (GCRA): every worker of the fleet reserves the
-- next free send time, so together they never exceed `rate` calls per minute.
-- KEYS: state hash. ARGV: now ms, initial rate per minute.
-- Returns { ms the caller must wait before calling, the time of the last rate cut }.
local now = tonumber(ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'rate', 'tat', 'last_cut')
local rate = tonumber(state[1]) or tonumber(ARGV[2])
local interval = 60000 / rate
local tat = math.max(tonumber(state[2]) or now, now)
-- One call's worth of burst: an idle fleet may send at once, but not a volley.
local wait = math.max(0, tat - interval - now)
redis.call('HSET', KEYS[1], 'rate', rate, 'tat', tat + interval)
redis.call('PEXPIRE', KEYS[1], 3600000)
return {math.ceil(wait), state[3] or '0'}
