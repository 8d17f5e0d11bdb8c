-- due.lua: hand a bounded batch of due thresholds of one partition to the applier.
-- A due case leaves the timers set and enters the dirty set in one atomic step, with its
-- event version bumped: from there the applier's leased claim takes over, so a replica that
-- dies after this script leaves the case to another replica when the lease lapses, and an
-- apply already under way with an earlier "now" cannot commit over it (its compare-and-set
-- fails, and it recomputes at a "now" past the threshold).
-- KEYS[1] timers zset (business ms)   KEYS[2] dirty zset (real ms)
-- ARGV[1] business now ms   ARGV[2] real now ms   ARGV[3] batch size
-- ARGV[4] the case hash key prefix of this partition ("<prefix>{pN}:case:"). The case hashes
--         cannot be declared before the ZRANGE finds them; they carry the same hash tag as
--         KEYS[1], so the script still touches one slot (safe on Redis Cluster).
-- Members starting with '~' are other clocked subjects than cases ("~o:<id>": a supervision
-- order); they have no case hash: their own compare-and-set (ordersave.lua) guards them.
-- Returns: a flat array case_id1, due_ms1, … of the cases handed over.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #due, 2 do
  local id = due[i]
  redis.call('ZREM', KEYS[1], id)
  if string.sub(id, 1, 1) ~= '~' then
    redis.call('HINCRBY', ARGV[4] .. id, 'ver', 1)
  end
  redis.call('ZADD', KEYS[2], 'NX', ARGV[2], id)
end
return due
