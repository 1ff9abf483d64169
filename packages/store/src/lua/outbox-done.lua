-- Removes a drained outbox entry only if no newer terminal transition (a retried job finishing
-- again) re-scored it meanwhile: that one's events are still owed.
-- KEYS: the tenant's outbox ARGV: job id, the score it was drained at
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
