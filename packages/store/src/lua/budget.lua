-- Budgets, reserved before a provider call and settled after it, so that workers running at once
-- can overshoot a cap by no more than the calls already in flight. "committed" = the cost settled
-- so far plus what the calls in flight reserved.
--
-- KEYS: batch (a placeholder when the job has none), tenant's budget day
-- ARGV: op ('reserve' | 'settle'), amount (reserve: expected USD; settle: actual - reserved),
--       has batch ('1' | '0'), tenant's daily cap ('' = none), day retention seconds
-- reserve returns 'ok', 'batch' or 'tenant' (which cap is spent), or 'uncapped' when neither
-- cap applies (nothing is counted; a batch's cap never changes, so the caller may skip the
-- batch's later reservations); settle returns 'ok'.
local batchKey, dayKey = KEYS[1], KEYS[2]
local op, amount, hasBatch, dayCap = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1', ARGV[4]

local batchCap = nil
if hasBatch then
  local max = redis.call('HGET', batchKey, 'max_cost_usd')
  if max and max ~= '' then batchCap = tonumber(max) end
end

local function spent(committed, cap)
  -- With no estimate yet (amount 0), a call may start while anything is left.
  return committed >= cap or (amount > 0 and committed + amount > cap)
end

if op == 'reserve' then
  if batchCap then
    local committed = tonumber(redis.call('HGET', batchKey, 'budget_committed') or '0')
    if spent(committed, batchCap) then
      redis.call('HSET', batchKey, 'budget_exhausted', '1')
      return 'batch'
    end
  end
  if dayCap ~= '' then
    local committed = tonumber(redis.call('HGET', dayKey, 'committed') or '0')
    if spent(committed, tonumber(dayCap)) then
      if hasBatch and redis.call('EXISTS', batchKey) == 1 then
        redis.call('HSET', batchKey, 'budget_exhausted', '1')
      end
      return 'tenant'
    end
  end
end

if op == 'reserve' and not batchCap and dayCap == '' then return 'uncapped' end
if batchCap then redis.call('HINCRBYFLOAT', batchKey, 'budget_committed', amount) end
if dayCap ~= '' then
  redis.call('HINCRBYFLOAT', dayKey, 'committed', amount)
  redis.call('EXPIRE', dayKey, tonumber(ARGV[5]))
end
return 'ok'
