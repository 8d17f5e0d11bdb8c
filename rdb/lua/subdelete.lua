-- subdelete.lua: remove an outbound subscription with its delivery state and its lease, in one
-- step. A replica still delivering to it loses its next compare-and-set (subadvance.lua) and
-- stops.
-- KEYS[1] subscriptions hash   KEYS[2] the subscription's delivery state hash
-- KEYS[3] the subscription's lease
-- ARGV[1] subscription id
-- Returns 1 removed; 0 there was no such subscription.
local n = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3])
return n
