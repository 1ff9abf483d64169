-- Moves the fair-share clock to the position of a job a worker started; the clock only moves
-- forward: a job started late (a retry) never winds it back.
-- KEYS: fair-share hash ARGV: the started job's position
local c = tonumber(redis.call('HGET', KEYS[1], 'clock') or '0')
if tonumber(ARGV[1]) > c then redis.call('HSET', KEYS[1], 'clock', ARGV[1]) end
return 1
