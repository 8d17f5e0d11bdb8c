-- claim.lua: claim a bounded batch of due members of a sorted set, with a lease.
-- Used for the dirty set (cases to apply) and, with business time, the timers.
-- KEYS[1] the sorted set (ZSET member → due ms)
-- ARGV[1] now ms: members with score <= now are due
-- ARGV[2] lease ms: a claimed member's score becomes now + lease, so a claimer that dies
--         leaves it to be claimed again when the lease lapses
-- ARGV[3] batch size (bounded work per call)
-- Returns: a flat array member1, score1, member2, score2, … of the claimed members with the
-- scores they had (the claimer hands the old score back to commit, which removes the member
-- only if nothing re-scheduled it meanwhile).
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
local until_ms = now + tonumber(ARGV[2])
for i = 1, #due, 2 do
  redis.call('ZADD', KEYS[1], 'XX', until_ms, due[i])
end
return due
