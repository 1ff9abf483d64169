-- Adds a finished job's images and reported cost to its model's running average.
-- KEYS: the model's cost average ARGV: images, USD
redis.call('HINCRBY', KEYS[1], 'images', ARGV[1])
redis.call('HINCRBYFLOAT', KEYS[1], 'usd', ARGV[2])
return 1
