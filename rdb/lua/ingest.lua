-- ingest.lua: store the events of one case durably and mark the case for applying,
-- atomically. One call per case per batch (a batch's events of one case in one step).
-- KEYS[1] events hash of the case      (HASH event_id → event JSON)
-- KEYS[2] case hash                    (HASH dept, ver, …)
-- KEYS[3] dirty set of the partition   (ZSET case_id → claimable-at ms, real time)
-- ARGV[1] case_id
-- ARGV[2] now, real-time ms (plumbing: when the case becomes claimable)
-- ARGV[3 ..] triples: event_id, event JSON (the event plus received_at), department
-- Returns one status per event, in order: "accepted", "duplicate", or "department:<owner>"
-- when the case belongs to another department (that event is not written).
local owner = redis.call('HGET', KEYS[2], 'dept')
local out = {}
local stored = 0
for i = 3, #ARGV, 3 do
  local id, doc, dept = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if owner and owner ~= dept then
    out[#out + 1] = 'department:' .. owner
  elseif redis.call('HSETNX', KEYS[1], id, doc) == 0 then
    out[#out + 1] = 'duplicate'
  else
    if not owner then
      redis.call('HSET', KEYS[2], 'dept', dept)
      owner = dept
    end
    stored = stored + 1
    out[#out + 1] = 'accepted'
  end
end
if stored > 0 then
  redis.call('HINCRBY', KEYS[2], 'ver', stored)
  redis.call('ZADD', KEYS[3], 'NX', ARGV[2], ARGV[1])
end
return out
