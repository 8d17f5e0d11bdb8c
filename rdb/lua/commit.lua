-- commit.lua: write a case's freshly computed state if nothing changed since it was read,
-- and in the same atomic step update its indexes, its next timer, its alert records and
-- their indexes, its outbox and its dirty mark. This compare-and-set is what makes applying
-- exactly-once: two appliers that raced on one case cannot both commit against the same
-- versions, so transitions are emitted once and an alert record is created once.
-- KEYS[1] case hash       KEYS[2] dirty zset     KEYS[3] timers zset   KEYS[4] outbox stream
-- KEYS[5] idx:all         KEYS[6] idx:dept:<d>   KEYS[7] dead hash
-- KEYS[8] idx:stage:<old> KEYS[9] idx:stage:<new>
-- KEYS[10] idx:level:<old> KEYS[11] idx:level:<new>
--   (old keys equal new ones when unchanged; an empty old stage/level means "not listed")
-- KEYS[12] alert records hash  KEYS[13] aidx:all  KEYS[14] aidx:dept:<d>
-- KEYS[15..18] aidx:state:firing, acknowledged, resolved, exempted
-- KEYS[19] idx:due:<d> (score: the current stage's deadline day as yyyymmdd)
-- ARGV[1] case_id
-- ARGV[2] event version the state was computed from (ver read before computing)
-- ARGV[3] state version read before computing ('' when the case had no state)
-- ARGV[4] state JSON
-- ARGV[5] new stage   ARGV[6] new level   ARGV[7] old stage   ARGV[8] old level
-- ARGV[9] next timer, business ms ('' for none)
-- ARGV[10] outbox MAXLEN (approximate trim)
-- ARGV[11] faults JSON (the case's fault units, kept for the next diff)
-- ARGV[12] the current stage's deadline day, yyyymmdd ('' for none: closed, clock stopped…)
-- ARGV[13] 1 when the commit has transitions, then ARGV[14] their JSON array; else 0
-- then m, the number of changed alert records, and m groups of
--   alert key, alert id, old state ('' when new), new state, record JSON
-- The outbox entry is {t: transitions, r:<alert key>: record, …}: each alert transition's
-- record rides in the field named by its alert key, as stored, so the relay passes it to the
-- alert stream without decoding it. (Entries written before named their fields a0, a1, …
-- by position; the relay still reads them.)
-- Returns: 1 committed; 0 conflict (versions moved: the caller recomputes and tries again).
local cur = redis.call('HMGET', KEYS[1], 'ver', 'sv')
local ver, sv = cur[1] or '0', cur[2] or ''
if ver ~= ARGV[2] or sv ~= ARGV[3] then
  return 0
end
local nsv = (tonumber(sv) or 0) + 1
redis.call('HSET', KEYS[1], 'state', ARGV[4], 'sv', nsv, 'applied', ver,
  'stage', ARGV[5], 'level', ARGV[6], 'faults', ARGV[11])
local id = ARGV[1]
if sv == '' then -- first commit: list the case (its department never changes)
  redis.call('ZADD', KEYS[5], 0, id)
  redis.call('ZADD', KEYS[6], 0, id)
end
if ARGV[7] ~= ARGV[5] then
  if ARGV[7] ~= '' then redis.call('ZREM', KEYS[8], id) end
  redis.call('ZADD', KEYS[9], 0, id)
elseif sv == '' then
  redis.call('ZADD', KEYS[9], 0, id)
end
if ARGV[8] ~= ARGV[6] then
  if ARGV[8] ~= '' then redis.call('ZREM', KEYS[10], id) end
  redis.call('ZADD', KEYS[11], 0, id)
elseif sv == '' then
  redis.call('ZADD', KEYS[11], 0, id)
end
if ARGV[9] == '' then
  redis.call('ZREM', KEYS[3], id)
else
  redis.call('ZADD', KEYS[3], ARGV[9], id)
end
if ARGV[12] == '' then
  redis.call('ZREM', KEYS[19], id)
else
  redis.call('ZADD', KEYS[19], ARGV[12], id)
end
local n = tonumber(ARGV[13])
local base = 14 + n
local m = tonumber(ARGV[base])
if n == 1 then
  local entry = {'XADD', KEYS[4], 'MAXLEN', '~', ARGV[10], '*', 't', ARGV[14]}
  for i = 0, m - 1 do
    entry[#entry + 1] = 'r:' .. ARGV[base + 1 + i * 5]
    entry[#entry + 1] = ARGV[base + 5 + i * 5]
  end
  redis.call(unpack(entry))
end
local stateKey = {firing = KEYS[15], acknowledged = KEYS[16], resolved = KEYS[17], exempted = KEYS[18]}
for i = 0, m - 1 do
  local o = base + 1 + i * 5
  local akey, aid, olds, news = ARGV[o], ARGV[o + 1], ARGV[o + 2], ARGV[o + 3]
  redis.call('HSET', KEYS[12], akey, ARGV[o + 4])
  if olds == '' then
    redis.call('ZADD', KEYS[13], 0, aid)
    redis.call('ZADD', KEYS[14], 0, aid)
  end
  if olds ~= news then
    if olds ~= '' then redis.call('ZREM', stateKey[olds], aid) end
    redis.call('ZADD', stateKey[news], 0, aid)
  end
end
redis.call('ZREM', KEYS[2], id)
redis.call('HDEL', KEYS[7], id)
return 1
