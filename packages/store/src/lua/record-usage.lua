-- Adds one provider call's usage to its job, its batch and the tenant's day, atomically, so the
-- batch's and the day's totals are always the sum of their jobs' (read in O(1), never summed).
-- A cost the provider did not report is left out: the field stays absent and reads as null.
--
-- KEYS: job, batch (a placeholder when the job has none), tenant day
-- ARGV: calls, images, credits ('' = not reported), usd ('' = not reported), request id
--       ('' = none), model, has batch ('1' | '0'), day retention seconds, cached_from ('' = none)
local jobKey, batchKey, dayKey = KEYS[1], KEYS[2], KEYS[3]
local calls, images, credits, usd, requestId, model = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('EXISTS', jobKey) == 0 then return 0 end

local function add(key, prefix)
  redis.call('HINCRBY', key, prefix .. 'calls', calls)
  redis.call('HINCRBY', key, prefix .. 'images', images)
  if credits ~= '' then redis.call('HINCRBYFLOAT', key, prefix .. 'credits', credits) end
  if usd ~= '' then redis.call('HINCRBYFLOAT', key, prefix .. 'usd', usd) end
end

add(jobKey, 'usage_')
if requestId ~= '' then
  local ids = redis.call('HGET', jobKey, 'usage_request_ids')
  if ids and ids ~= '' then ids = ids .. ',' .. requestId else ids = requestId end
  redis.call('HSET', jobKey, 'usage_request_ids', ids)
end
if ARGV[9] ~= '' then redis.call('HSET', jobKey, 'usage_cached_from', ARGV[9]) end
if ARGV[7] == '1' and redis.call('EXISTS', batchKey) == 1 then add(batchKey, 'usage_') end
add(dayKey, model .. '|')
redis.call('EXPIRE', dayKey, tonumber(ARGV[8]))
return 1
