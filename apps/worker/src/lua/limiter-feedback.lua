-- How the provider answered: the limiter learns the provider's real limit from it.
-- KEYS: state hash, accepted-calls counter prefix ('...:ok:'). ARGV: now ms, outcome
-- ('ok' | 'limited'), initial rate, ceiling (0 = none), floor.
-- Multiplicative decrease on a 429, at most once per cooldown, to what the provider actually
-- accepted in the last minute (its limit, as measured); additive probe up on success.
local now = tonumber(ARGV[1])
local initial, ceiling, floor = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'rate', 'last_cut')
local rate = tonumber(state[1]) or initial
local second = math.floor(now / 1000)
if ARGV[2] == 'ok' then
  local counter = KEYS[2] .. second
  redis.call('INCR', counter)
  redis.call('EXPIRE', counter, 120)
  -- About +1 % of the rate per minute of calls without a 429.
  rate = rate + 0.01
  if ceiling > 0 then rate = math.min(rate, ceiling) end
else
  local lastCut = tonumber(state[2]) or 0
  if now - lastCut < 5000 then return tostring(rate) end
  local keys = {}
  for s = second - 59, second do keys[#keys + 1] = KEYS[2] .. s end
  local accepted = 0
  for _, v in ipairs(redis.call('MGET', unpack(keys))) do accepted = accepted + (tonumber(v) or 0) end
  local measured = accepted * 0.97
  if measured < floor or measured >= rate then measured = rate * 0.7 end
  rate = math.max(floor, measured)
  redis.call('HSET', KEYS[1], 'last_cut', now, 'tat', now + 60000 / rate)
end
redis.call('HSET', KEYS[1], 'rate', rate)
redis.call('PEXPIRE', KEYS[1], 3600000)
return tostring(rate)
