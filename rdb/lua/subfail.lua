-- subfail.lua: record a failed delivery attempt of a subscription's next entry: the error,
-- the attempts so far and when the entry first failed (fail_since), kept across restarts and
-- lease hand-overs so the backoff goes on where it was.
-- KEYS[1] the subscription's lease   KEYS[2] its delivery state hash   KEYS[3] subscriptions hash
-- ARGV[1] lease owner   ARGV[2] subscription id   ARGV[3] the entry's cursor
-- ARGV[4] real-time now (ms)   ARGV[5] the error, for last_error
-- Returns {status, attempts, fail_since}: status 1 recorded, 0 lease lost, -1 gone.
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 0 then
  return {-1, 0, 0}
end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return {0, 0, 0}
end
if redis.call('HGET', KEYS[2], 'fail_cursor') ~= ARGV[3] then
  redis.call('HSET', KEYS[2], 'fail_cursor', ARGV[3], 'fail_since', ARGV[4], 'attempts', 0)
end
local attempts = redis.call('HINCRBY', KEYS[2], 'attempts', 1)
redis.call('HSET', KEYS[2], 'last_error', ARGV[5], 'last_attempt', ARGV[4])
return {1, attempts, tonumber(redis.call('HGET', KEYS[2], 'fail_since'))}
