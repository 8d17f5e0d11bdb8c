-- ingest.lua: store one event durably and mark its case for applying, atomically.
-- KEYS[1] events hash of the case      (HASH event_id → event JSON)
-- KEYS[2] case hash                    (HASH dept, ver, …)
-- KEYS[3] dirty set of the partition   (ZSET case_id → claimable-at ms, real time)
-- ARGV[1] event_id
-- ARGV[2] event JSON (as stored: the event plus received_at)
-- ARGV[3] department the event reports for
-- ARGV[4] case_id
-- ARGV[5] now, real-time ms (plumbing: when the case becomes claimable)
-- Returns: "accepted", "duplicate", or "department:<owner>" when the case belongs to
-- another department (nothing is written then).
local owner = redis.call('HGET', KEYS[2], 'dept')
if owner and owner ~= ARGV[3] then
  return 'department:' .. owner
end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 'duplicate'
end
if not owner then
  redis.call('HSET', KEYS[2], 'dept', ARGV[3])
end
redis.call('HINCRBY', KEYS[2], 'ver', 1)
redis.call('ZADD', KEYS[3], 'NX', ARGV[5], ARGV[4])
return 'accepted'
