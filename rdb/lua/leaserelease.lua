-- leaserelease.lua: give up a lease if it is still ours, so another replica takes over at once.
-- KEYS[1] the lease
-- ARGV[1] owner
-- Returns 1 released; 0 it was not ours.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
