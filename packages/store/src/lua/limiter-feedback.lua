-- How the provider answered one call: the limiter learns the provider's real limit from it.
-- KEYS: state hash, window. ARGV: now ms, outcome ('ok' | 'limited'), token, initial rate,
-- ceiling (0 = none), floor, window ms, how many calls this answers for (several 'ok's are
-- reported together by a busy worker; default 1).
-- A 429 takes the call out of the window (the provider did not count it) and sets the rate to
-- 97 % of what the provider had accepted from us in the window when it refused: its limit, as
-- measured (never raising it). The
-- window is then over-full, so nothing more is sent until it has room: no volley of 429s, and
-- no compounding cuts. Every accepted call probes up by 0.01 (about +1 % a minute at any rate).
-- Slow start: until the first 429 of this model, while callers wait on the pace (acquire stamps
-- `wanted`), every accepted call adds 1 instead, so the pace doubles about every minute's
-- worth of calls (and faster as it grows) until the provider refuses.
local now = tonumber(ARGV[1])
local initial, ceiling, floor = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local span = tonumber(ARGV[7]) * 1.02 -- as in limiter-acquire.lua
local state = redis.call('HMGET', KEYS[1], 'rate', 'learned', 'wanted')
local rate = tonumber(state[1]) or initial
if ARGV[2] == 'ok' then
  local calls = tonumber(ARGV[8] or '1')
  local wanted = tonumber(state[3])
  if not state[2] and wanted and now - wanted < 5000 then
    rate = rate + calls
  else
    rate = rate + 0.01 * calls
  end
else
  redis.call('HSET', KEYS[1], 'learned', now)
  -- What the provider had accepted from us when it refused: our calls in the window before
  -- this one was sent (counted later, calls that left the window meanwhile would be missed).
  local sentAt = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[3]) or now)
  redis.call('ZREM', KEYS[2], ARGV[3])
  local accepted = redis.call('ZCOUNT', KEYS[2], '(' .. (sentAt - span), sentAt)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - span)
  local measured = accepted * 0.97
  if measured < rate then rate = math.max(floor, measured) end
end
if ceiling > 0 then rate = math.min(rate, ceiling) end
redis.call('HSET', KEYS[1], 'rate', rate)
redis.call('PEXPIRE', KEYS[1], 604800000)
return tostring(rate)
