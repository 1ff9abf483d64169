-- An attempt goes into the event's own hash (`a<n>`, compact, so the hash stays a small
-- listpack), with the status fields it settles, if any, in the same step; nothing is written
-- to an event that has expired.
-- KEYS: event ARGV: attempt, then field, value, …
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = redis.call('HINCRBY', KEYS[1], 'attempt_count', 1)
redis.call('HSET', KEYS[1], 'a' .. n, ARGV[1])
if #ARGV > 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 2)) end
return n
