-- Records a webhook event once: a second record of the same id returns the first one's status.
-- KEYS: event, index keys… ARGV: fields (JSON), retention seconds, event id (`status` is the
-- field every event has: it says whether the event exists)
local existing = redis.call('HGET', KEYS[1], 'status')
if existing then return existing end
for field, value in pairs(cjson.decode(ARGV[1])) do redis.call('HSET', KEYS[1], field, value) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
for i = 2, #KEYS do
  redis.call('RPUSH', KEYS[i], ARGV[3])
  redis.call('EXPIRE', KEYS[i], ARGV[2])
end
return 'new'
