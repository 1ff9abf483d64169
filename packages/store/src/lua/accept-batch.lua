-- Records a whole batch in one atomic step, before any of its jobs is queued: the batch (marked
-- `accepting`), every job record, the job list, the tenant's index of accepting batches, the
-- tenant's lists of batches and jobs (`ListIndex`: so a batch rolled forward after a crash is
-- listed too) and the Idempotency-Key, which from here on names this batch. Nothing is queued by this script: the
-- caller queues the jobs (ids fixed here) and then finalizes; if it dies in between, whoever
-- finds the batch in the accepting index rolls it forward (batch-accept.ts).
--
-- KEYS: idempotency key (a placeholder when none), batch, batch jobs, accepting index, the
--       tenant's batch list, its job list, job keys…
-- ARGV: idempotency value, idempotency ttl s, batch fields (JSON), now ms, has key ('1'|'0'),
--       the lists' ttl s, the batch list's and the job list's horizon (ids before it have
--       expired: trimmed), then per job key, in order: its number of fields n, then n field/value pairs, `id`
--       first (flat, not JSON: decoding 1,000 JSON hashes was most of this script's time)
-- Returns { 'new' } or { 'exists', stored idempotency value }
if ARGV[5] == '1' then
  local stored = redis.call('GET', KEYS[1])
  if stored then return {'exists', stored} end
end
-- One HSET per hash, from a flat field/value list.
local function write(key, fields)
  local flat = {}
  for field, value in pairs(fields) do
    flat[#flat + 1] = field
    flat[#flat + 1] = value
  end
  redis.call('HSET', key, unpack(flat))
end
local batch = cjson.decode(ARGV[3])
batch.accepting = '1'
write(KEYS[2], batch)
local ids, listed = {}, {}
local function flush()
  redis.call('RPUSH', KEYS[3], unpack(ids))
  redis.call('ZADD', KEYS[6], unpack(listed))
  ids, listed = {}, {}
end
local at = 9
for i = 7, #KEYS do
  local n = tonumber(ARGV[at])
  redis.call('HSET', KEYS[i], unpack(ARGV, at + 1, at + 2 * n))
  ids[#ids + 1] = ARGV[at + 2]
  listed[#listed + 1] = 0
  listed[#listed + 1] = ARGV[at + 2]
  at = at + 1 + 2 * n
  if #ids == 1000 then flush() end
end
if #ids > 0 then flush() end
redis.call('ZADD', KEYS[5], 0, batch.id)
redis.call('ZREMRANGEBYLEX', KEYS[5], '-', '(' .. ARGV[7])
redis.call('ZREMRANGEBYLEX', KEYS[6], '-', '(' .. ARGV[8])
redis.call('EXPIRE', KEYS[5], ARGV[6])
redis.call('EXPIRE', KEYS[6], ARGV[6])
redis.call('ZADD', KEYS[4], ARGV[4], batch.id)
if ARGV[5] == '1' then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
return {'new'}
