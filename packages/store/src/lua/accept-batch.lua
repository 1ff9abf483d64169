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
--       expired: trimmed), the number c of field/value pairs every job's hash has after its
--       `id` and those c pairs (the tenant, batch, status, creation time: sent once), then the
--       jobs' own values in the remaining arguments, each value ended by a NUL byte: per job
--       key, in order, its number of pairs of its own n, its id, then those n pairs (a job is
--       never split between two arguments, of about 16 KB each: see batch-accept.ts). Each hash is
--       written as `id`, the shared pairs, its own. Not JSON (decoding 1,000 JSON hashes was
--       most of this script's time), and not an argument a value (parsing ~14,000 arguments
--       cost more than cutting a few strings).
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
-- One table for every job's HSET arguments: `id` and its value, the shared pairs, then the
-- job's own pairs, overwritten job after job (only the first `top` entries are sent).
local shared = tonumber(ARGV[9])
local flat = {'id', ''}
for j = 1, 2 * shared do flat[2 + j] = ARGV[9 + j] end
local piece = 10 + 2 * shared
local own = ARGV[piece]
local find, sub = string.find, string.sub
local at = 1
local function take()
  local stop = find(own, '\0', at, true)
  local value = sub(own, at, stop - 1)
  at = stop + 1
  return value
end
for i = 7, #KEYS do
  if at > #own then
    piece = piece + 1
    own, at = ARGV[piece], 1
  end
  local n = tonumber(take())
  local id = take()
  flat[2] = id
  local top = 2 + 2 * shared
  for _ = 1, 2 * n do
    top = top + 1
    flat[top] = take()
  end
  redis.call('HSET', KEYS[i], unpack(flat, 1, top))
  ids[#ids + 1] = id
  listed[#listed + 1] = 0
  listed[#listed + 1] = id
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
