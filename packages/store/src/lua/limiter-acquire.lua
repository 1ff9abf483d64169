-- Shared provider limiter: one send slot per call for the whole fleet. Two rules together:
--  * a mirror of the provider's rolling window: at most `rate` calls sent in the last window
--    (a 429'd call is taken back out: the provider did not count it);
--  * GCRA pacing at `rate` per window, so the window is spread out rather than sent in a volley.
-- KEYS: state hash, window (sorted set: token → send time), the set of paced models.
-- ARGV: now ms, initial rate, token, window ms (60000: rates are per minute), model.
-- One state and window per model: the providers' quotas are per model.
-- Returns 0 and records the call when it may go now, else the ms to wait before asking again.
local now = tonumber(ARGV[1])
-- Our send times are stamped before the request travels: the provider stamps it later, so a
-- call leaves our mirror of its window a little after it leaves the provider's.
local span = tonumber(ARGV[4]) * 1.02
local state = redis.call('HMGET', KEYS[1], 'rate', 'tat')
local rate = tonumber(state[1]) or tonumber(ARGV[2])
local interval = span / rate
local tat = math.max(tonumber(state[2]) or now, now)
local wait = math.max(0, tat - interval - now)

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - span)
local sent = redis.call('ZCARD', KEYS[2])
local allowed = math.max(1, math.floor(rate))
if sent >= allowed then
  -- The window is full: the next slot frees when the entry that makes it full leaves it.
  local entry = redis.call('ZRANGE', KEYS[2], sent - allowed, sent - allowed, 'WITHSCORES')
  wait = math.max(wait, tonumber(entry[2]) + span - now + 1)
end
-- A wait under a millisecond is below the clock's resolution (and not worth a round trip): at a
-- pace above 60,000 a minute, calls of the same millisecond go together.
if wait >= 1 then
  -- Callers are waiting on the pace: the feedback script's slow start may raise it.
  redis.call('HSET', KEYS[1], 'wanted', now)
  return math.ceil(wait)
end

redis.call('ZADD', KEYS[2], now, ARGV[3])
redis.call('HSET', KEYS[1], 'rate', rate, 'tat', tat + interval)
-- Kept a week: what was learned survives an idle hour and a restart of every worker.
redis.call('PEXPIRE', KEYS[1], 604800000)
redis.call('SADD', KEYS[3], ARGV[5])
redis.call('PEXPIRE', KEYS[2], 2 * span)
return 0
