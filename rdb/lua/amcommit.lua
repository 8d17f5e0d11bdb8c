-- amcommit.lua: after Alertmanager accepted a batch of alerts, move the forwarder's position
-- and update the set of open alerts it keeps resending — a compare-and-set, so that only the
-- lease holder moves it, and only from where it read it.
-- KEYS[1] the forwarder's lease   KEYS[2] forwarder state hash   KEYS[3] open alerts hash
-- ARGV[1] lease owner   ARGV[2] position as read ('' for none)   ARGV[3] new position
-- ARGV[4] number of open alerts n, then n pairs (alert id, record JSON), then the ids of the
-- alerts that ended
-- Returns 1 done; 0 the lease is not ARGV[1]'s or the position moved.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if (redis.call('HGET', KEYS[2], 'pos') or '') ~= ARGV[2] then
  return 0
end
local n = tonumber(ARGV[4])
local i = 5
for _ = 1, n do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call('HDEL', KEYS[3], ARGV[i])
  i = i + 1
end
redis.call('HSET', KEYS[2], 'pos', ARGV[3])
return 1
