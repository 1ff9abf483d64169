-- Sets an event's status fields, only on an event that still exists.
-- KEYS: event ARGV: field, value, …
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
