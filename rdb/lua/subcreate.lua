-- subcreate.lua: register an outbound subscription and start its position at the newest entry
-- of the alert stream, in one step, so it receives exactly the alerts appended after it exists.
-- KEYS[1] subscriptions hash   KEYS[2] the subscription's delivery state hash
-- KEYS[3] alert stream
-- ARGV[1] subscription id   ARGV[2] subscription JSON
-- Returns the starting position (a stream id; '0-0' when the stream is empty), or false when
-- the id is taken.
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return false
end
local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
local pos = '0-0'
if #last > 0 then
  pos = last[1][1]
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'pos', pos, 'delivered', 0, 'dropped', 0)
return pos
