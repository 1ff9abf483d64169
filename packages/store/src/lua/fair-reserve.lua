-- Start-time fair queuing between tenants: reserves the positions (virtual start times) of a
-- tenant's new jobs. The position becomes the job's BullMQ priority, so the queue serves
-- positions in order: a tenant's 2,000-job batch takes positions c+1..c+2000, and another
-- tenant's job submitted afterwards takes (about) the current clock + 1, so it runs next.
--
-- KEYS: fair-share hash ({prefix}:fair), then the generation queue's wait, prioritized, delayed
--       and paused keys (same hash tag, so one slot): when none holds a job, no queued job
--       carries a position any more and the whole state restarts from 0 (keeps priorities small).
-- ARGV: tenant, normal jobs, express jobs
-- Hash fields: clock (highest position a worker has started), n:<tenant> (the tenant's last
-- normal position), x:<tenant> (its last express position).
-- Returns { first normal position, first express position } (each lane's positions follow on).
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
return {firstNormal, firstExpress}
