-- The last step of accepting a batch: every job is queued, so it leaves the accepting index and
-- its Idempotency-Key now replays the answer. Idempotent (a roll-forward racing the original
-- request finalizes once).
-- KEYS: batch, accepting index, idempotency key (a placeholder when none)
-- ARGV: batch id, stored answer (JSON), idempotency ttl s, has key ('1'|'0')
-- Returns 1 when this call finalized, 0 when it was done already
if redis.call('HGET', KEYS[1], 'accepting') ~= '1' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('HDEL', KEYS[1], 'accepting')
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[4] == '1' then redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3]) end
return 1
