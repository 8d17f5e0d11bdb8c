-- lease.lua: take or renew a lease — which replica does a piece of singleton work (one
-- subscription's deliveries, the Alertmanager forwarder). Leases run on real time: a replica
-- that stops renewing loses it when the TTL lapses.
-- KEYS[1] the lease
-- ARGV[1] owner   ARGV[2] TTL (ms)
-- Returns 1 held by ARGV[1] (taken or renewed); 0 held by another.
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if cur then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
