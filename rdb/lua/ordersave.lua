-- ordersave.lua: write a supervision order (and the records of its alerts) if nothing
-- changed since it was read, and in the same atomic step its indexes, its next instant in
-- the partition's timers set, its outbox entry and its dirty mark. The compare-and-set on
-- the storage version is what makes an order's alerts fire once: two replicas ticking the
-- same order cannot both commit against the same version (invariant 4).
-- KEYS[1] order hash   KEYS[2] timers zset   KEYS[3] dirty zset   KEYS[4] outbox stream
-- KEYS[5] oidx:all     KEYS[6] oidx:dept:<d>
-- KEYS[7] alert records hash of the order   KEYS[8] aidx:all   KEYS[9] aidx:dept:<d>
-- KEYS[10..13] aidx:state:firing, acknowledged, resolved, exempted
-- ARGV[1] order id   ARGV[2] storage version read ('' to create: refused if it exists)
-- ARGV[3] order JSON   ARGV[4] the order's state   ARGV[5] its department
-- ARGV[6] timer member ("~o:<id>")   ARGV[7] next instant, business ms ('' for none)
-- ARGV[8] outbox MAXLEN   ARGV[9] outbox entry JSON ('' for none: field o)
-- ARGV[10] 1 to take the order out of the dirty set (a timer's tick)
-- ARGV[11] m, then m groups: alert key, alert id, old state ('' when new), new state, record JSON
-- Returns 1 written; 0 conflict (the order changed or, on create, exists).
local sv = redis.call('HGET', KEYS[1], 'sv') or ''
if sv ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'doc', ARGV[3], 'sv', (tonumber(sv) or 0) + 1, 'state', ARGV[4], 'dept', ARGV[5])
local id = ARGV[1]
if sv == '' then
  redis.call('ZADD', KEYS[5], 0, id)
  redis.call('ZADD', KEYS[6], 0, id)
end
if ARGV[7] == '' then
  redis.call('ZREM', KEYS[2], ARGV[6])
else
  redis.call('ZADD', KEYS[2], ARGV[7], ARGV[6])
end
if ARGV[9] ~= '' then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[8], '*', 'o', ARGV[9])
end
if ARGV[10] == '1' then
  redis.call('ZREM', KEYS[3], ARGV[6])
end
local stateKey = {firing = KEYS[10], acknowledged = KEYS[11], resolved = KEYS[12], exempted = KEYS[13]}
local m = tonumber(ARGV[11])
for i = 0, m - 1 do
  local o = 12 + i * 5
  local akey, aid, olds, news = ARGV[o], ARGV[o + 1], ARGV[o + 2], ARGV[o + 3]
  redis.call('HSET', KEYS[7], akey, ARGV[o + 4])
  if olds == '' then
    redis.call('ZADD', KEYS[8], 0, aid)
    redis.call('ZADD', KEYS[9], 0, aid)
  end
  if olds ~= news then
    if olds ~= '' then redis.call('ZREM', stateKey[olds], aid) end
    redis.call('ZADD', stateKey[news], 0, aid)
  end
end
return 1
