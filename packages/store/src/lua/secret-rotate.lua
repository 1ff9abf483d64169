-- Makes a new webhook signing secret current; the one it replaces keeps signing until ARGV[2].
-- KEYS: the tenant's secrets hash ARGV: new secret, the old one's end (ms)
local current = redis.call('HGET', KEYS[1], 'current')
if current then redis.call('HSET', KEYS[1], 'previous', current, 'previous_until', ARGV[2]) end
redis.call('HSET', KEYS[1], 'current', ARGV[1])
return 1
