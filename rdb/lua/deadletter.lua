-- deadletter.lua: park a case whose events cannot be applied, if nothing changed since read.
-- KEYS[1] case hash   KEYS[2] dirty zset   KEYS[3] dead hash
-- ARGV[1] case_id   ARGV[2] event version read   ARGV[3] dead-letter JSON
-- Returns: 1 parked; 0 conflict (a new event arrived: the case stays dirty and is retried,
-- since the new event may be the one that makes it applicable).
local ver = redis.call('HGET', KEYS[1], 'ver') or '0'
if ver ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
