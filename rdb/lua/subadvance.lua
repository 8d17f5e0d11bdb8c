-- subadvance.lua: move a subscription's position past a delivered, dropped or skipped alert
-- stream entry — a compare-and-set, so that only the replica holding the lease moves it, and
-- only from where it read it.
-- KEYS[1] the subscription's lease   KEYS[2] its delivery state hash   KEYS[3] subscriptions hash
-- ARGV[1] lease owner   ARGV[2] subscription id   ARGV[3] position as read
-- ARGV[4] new position   ARGV[5] outcome: 'delivered', 'dropped' or 'skipped'
-- ARGV[6] real-time now (ms)
-- Returns 1 moved; 0 the lease is not ARGV[1]'s; -1 the subscription is gone; -2 the position
-- is no longer ARGV[3].
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 0 then
  return -1
end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if redis.call('HGET', KEYS[2], 'pos') ~= ARGV[3] then
  return -2
end
redis.call('HSET', KEYS[2], 'pos', ARGV[4])
local outcome = ARGV[5]
if outcome == 'delivered' then
  redis.call('HINCRBY', KEYS[2], 'delivered', 1)
  redis.call('HSET', KEYS[2], 'last_success', ARGV[6], 'last_attempt', ARGV[6])
elseif outcome == 'dropped' then
  redis.call('HINCRBY', KEYS[2], 'dropped', 1)
end
-- The entry being retried, if any, is now behind the position.
redis.call('HDEL', KEYS[2], 'fail_cursor', 'fail_since', 'attempts')
return 1
