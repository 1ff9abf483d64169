-- Moves one job to a new status, atomically with everything that depends on it:
-- the job's fields, its attempt and terminal counters, its batch's counts and status,
-- and the event streams that SSE reads. A change whose `from` does not match is a no-op,
-- which is what makes a duplicate finish (stalled job, cancel racing a finish) harmless.
--
-- KEYS: job, job events, batch, batch jobs, batch events (all in the tenant's slot; unused
-- placeholders when the job has no batch), the tenant's outbox
-- ARGV: to, from (JSON array), fields (JSON object), retention seconds, attempts delta, now,
-- has batch ('1' | '0'), the outbox score (now in ms, later when the caller makes the event's
-- first delivery attempt itself: the drain leaves the entry to it until then)
--
-- A terminal change may also carry its webhook event and its image cache entry, written here
-- so that finishing a job is one round trip (the dispatcher would otherwise read the job and its
-- batch back and record the event in three more):
-- more KEYS: the event, the batch's event index (placeholder without a batch), the image cache
-- entry (placeholder without one)
-- more ARGV: the terminal count the event is for ('' = no event), its type, its id, the job's
-- own webhook URL ('' = its batch's), the cache entry ('' = none), the entry's TTL seconds
-- Returns { applied (1, 0 = wrong status, -1 = no such job), terminal count, batch completion,
-- event (0 = not recorded here: the caller records it, 1 = recorded and not yet delivered,
-- 2 = existed and no longer pending, 3 = no URL: no event) }, and for an event recorded by this
-- very call, the job's and the event's fields (HGETALL): what its first delivery attempt
-- renders and checks, without reading back what was just written
local jobKey, jobEvents, batchKey, batchJobs, batchEvents = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local to, now = ARGV[1], ARGV[6]
local retention = tonumber(ARGV[4])
local now_ms = ARGV[8]

local status = redis.call('HGET', jobKey, 'status')
if not status then return {-1, 0, 0} end
local allowed = false
for _, s in ipairs(cjson.decode(ARGV[2])) do
  if s == status then allowed = true end
end
if not allowed then return {0, 0, 0} end

-- An empty or null field is removed rather than stored: absent reads as its default (serializeJob).
-- An empty chunk field (`result.3`) removes the chunks after it too: a value's chunks are
-- contiguous (splitField), so the first one missing ends them. The rest go in one HSET.
local set = {'status', to}
for field, value in pairs(cjson.decode(ARGV[3])) do
  if value == '' or value == 'null' then
    local name, n = string.match(field, '^(.+)%.(%d+)$')
    if name then
      n = tonumber(n)
      while redis.call('HDEL', jobKey, name .. '.' .. n) == 1 do n = n + 1 end
    else
      redis.call('HDEL', jobKey, field)
    end
  else
    set[#set + 1] = field
    set[#set + 1] = value
  end
end
redis.call('HSET', jobKey, unpack(set))
if ARGV[5] ~= '0' then redis.call('HINCRBY', jobKey, 'attempts', tonumber(ARGV[5])) end

local terminal = to == 'succeeded' or to == 'failed' or to == 'canceled'
local terminalCount = 0
if terminal then
  terminalCount = redis.call('HINCRBY', jobKey, 'terminal_count', 1)
  redis.call('EXPIRE', jobKey, retention)
  -- The outbox entry: its webhook events are owed from this very step on, whatever happens to
  -- the process that made it (outbox.ts drains what the caller did not deliver itself).
  redis.call('ZADD', KEYS[6], now_ms, redis.call('HGET', jobKey, 'id'))
else
  redis.call('PERSIST', jobKey)
end
redis.call('XADD', jobEvents, 'MAXLEN', '~', 100, '*', 'status', to)
-- The job's event stream only serves those following it live (SSE, Prefer: wait), who read the
-- record first and the stream's tail within moments: after the end it is kept a minute, not the
-- record's whole retention (a stream costs kilobytes; the record says where the job ended).
if terminal then redis.call('EXPIRE', jobEvents, math.min(retention, 60))
else redis.call('EXPIRE', jobEvents, retention) end

local completion = 0
if ARGV[7] == '1' and redis.call('EXISTS', batchKey) == 1 then
  if status ~= to then
    redis.call('HINCRBY', batchKey, status, -1)
    redis.call('HINCRBY', batchKey, to, 1)
  end
  local b = redis.call('HMGET', batchKey, 'status', 'queued', 'running', 'cancel_requested')
  local open = tonumber(b[2] or '0') + tonumber(b[3] or '0')
  local finished = b[1] == 'completed' or b[1] == 'canceled'
  if open == 0 and not finished then
    local final = 'completed'
    if b[4] == '1' then final = 'canceled' end
    redis.call('HSET', batchKey, 'status', final, 'finished_at', now)
    completion = redis.call('HINCRBY', batchKey, 'completions', 1)
    for _, key in ipairs({batchKey, batchJobs, batchEvents}) do redis.call('EXPIRE', key, retention) end
  elseif open > 0 and finished then
    -- A retried job reopens its batch; its next completion is a new event.
    redis.call('HSET', batchKey, 'status', 'running', 'finished_at', '', 'cancel_requested', '0')
    for _, key in ipairs({batchKey, batchJobs, batchEvents}) do redis.call('PERSIST', key) end
  elseif to == 'running' and b[1] == 'queued' then
    redis.call('HSET', batchKey, 'status', 'running')
  end
  redis.call('XADD', batchEvents, 'MAXLEN', '~', 1000, '*', 'job', redis.call('HGET', jobKey, 'id'), 'status', to)
end

if terminal and ARGV[13] and ARGV[13] ~= '' then
  redis.call('SET', KEYS[9], ARGV[13], 'EX', tonumber(ARGV[14]))
end
-- Only for the terminal count the caller expected: its event id names that count.
local event = 0
if terminal and ARGV[9] and ARGV[9] ~= '' and tonumber(ARGV[9]) == terminalCount then
  local url = ARGV[12]
  if url == '' and ARGV[7] == '1' then url = redis.call('HGET', batchKey, 'webhook_url') or '' end
  local existing = redis.call('HGET', KEYS[7], 'status')
  if url == '' then
    event = 3
  elseif existing then
    event = existing == 'pending' and 1 or 2
  else
    -- In the event store's own format (event-store.ts): the id and tenant are the key's, and a
    -- job's event names its job by its id (`evt_<job>_<n>`), its body rendered from the job's
    -- record at each attempt rather than from a second copy; only a batch lists its events.
    redis.call('HSET', KEYS[7], 'type', ARGV[10], 'url', url, 'timestamp', now,
      'status', 'pending')
    redis.call('EXPIRE', KEYS[7], retention)
    if ARGV[7] == '1' then
      redis.call('RPUSH', KEYS[8], ARGV[11])
      redis.call('EXPIRE', KEYS[8], retention)
    end
    return {1, terminalCount, completion, 1, redis.call('HGETALL', jobKey),
      redis.call('HGETALL', KEYS[7])}
  end
end
return {1, terminalCount, completion, event}
