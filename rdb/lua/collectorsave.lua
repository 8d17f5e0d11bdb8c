-- collectorsave.lua: an exchange-database source's progress after a stored batch, written
-- only by the replica that still holds the source's lease.
-- KEYS[1] the source's lease   KEYS[2] the source's hash
-- ARGV[1] owner   ARGV[2] cursor ('' leaves it)   ARGV[3] floor ('' leaves it: set once)
-- ARGV[4..] outcome, count pairs
-- Returns 1 written; 0 the lease is another's (nothing written).
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[2], 'cursor', ARGV[2])
end
if ARGV[3] ~= '' then
  redis.call('HSETNX', KEYS[2], 'floor', ARGV[3])
end
for i = 4, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[2], 'rows:' .. ARGV[i], ARGV[i + 1])
end
return 1
