-- Start-time fair queuing between tenants: reserves the positions (virtual start times) of a
-- tenant's new jobs. The position becomes the job's BullMQ priority, so the queue serves
-- positions in order: a tenant's 2,000-job batch takes positions c+1..c+2000, and another
-- tenant's job submitted afterwards takes (about) the current clock + 1, so it runs next.
--
-- KEYS: fair-share hash ({prefix}:fair), then the generation queue's wait, prioritized, delayed
--       and paused keys (same hash tag, so one slot): when none holds a job, no queued job
--       carries a position any more and the whole state restarts from 0 (keeps priorities small).
--       Optional KEYS[6]: the tenant's request count of `@fastify/rate-limit` (same hash tag),
--       when the request that brings the jobs is counted here instead of in a round trip of its
--       own; counted as that plugin's script counts (a fixed window that starts with the first
--       request), and a request over the limit reserves nothing.
--       Optional KEYS[7..] (with KEYS[6]): the keys of writes to make once the request is
--       admitted, one a write (a lone job's record and list entry, on a single Redis, where
--       every key is in one slot: the submit's writes need no round trip of their own).
-- ARGV: tenant, normal jobs, express jobs[, window in ms, requests allowed in a window[, then
--       for each write: its command (HSET, ZADD, ZREMRANGEBYLEX or EXPIRE), its argument count
--       and its arguments after the key]]
-- Hash fields: clock (highest position a worker has started), n:<tenant> (the tenant's last
-- normal position), x:<tenant> (its last express position).
-- Returns { first normal position, first express position[, requests counted, window's ms left] }
-- (each lane's positions follow on); positions { 0, 0 } when the request is over the limit.
local counted, left
if KEYS[6] then
  counted = redis.call('INCR', KEYS[6])
  if counted == 1 then
    left = tonumber(ARGV[4])
    redis.call('PEXPIRE', KEYS[6], left)
  else
    left = redis.call('PTTL', KEYS[6])
  end
  if counted > tonumber(ARGV[5]) then return {0, 0, counted, left} end
end

local fair = KEYS[1]
local idle = redis.call('LLEN', KEYS[2]) == 0 and redis.call('ZCARD', KEYS[3]) == 0
  and redis.call('ZCARD', KEYS[4]) == 0 and redis.call('LLEN', KEYS[5]) == 0
if idle then redis.call('DEL', fair) end

local tenant, normal, express = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', fair, 'clock', 'n:' .. tenant, 'x:' .. tenant)
local clock = tonumber(state[1]) or 0
local last = math.max(tonumber(state[2]) or 0, clock)
local lastExpress = math.max(tonumber(state[3]) or 0, clock)

-- Express jobs queue ahead of the tenant's own backlog, but the tenant pays for each one: its
-- later jobs move back a place, so over time its share is the same.
local firstExpress = lastExpress + 1
local firstNormal = last + 1
redis.call('HSET', fair, 'n:' .. tenant, last + normal + express)
if express > 0 then redis.call('HSET', fair, 'x:' .. tenant, lastExpress + express) end

local at = 6
for i = 7, #KEYS do
  local n = tonumber(ARGV[at + 1])
  redis.call(ARGV[at], KEYS[i], unpack(ARGV, at + 2, at + 1 + n))
  at = at + 2 + n
end
return {firstNormal, firstExpress, counted, left}
