-- act.lua: a supervisor's action on a case's alert (ack, resolve, exempt).
-- Compare-and-set on the record as read, so two supervisors acting at once cannot both
-- succeed on a stale record. The case is marked dirty with its version bumped, so the
-- applier recomputes its level and fault counts from the changed record, and the changed
-- record goes to the partition's outbox for the alert stream — all in one atomic step.
-- KEYS[1] alert records hash   KEYS[2] case hash   KEYS[3] dirty zset   KEYS[4] outbox
-- KEYS[5] aidx:state:<old>     KEYS[6] aidx:state:<new>
-- ARGV[1] alert key   ARGV[2] record JSON as read   ARGV[3] new record JSON   ARGV[4] alert id
-- ARGV[5] real now ms   ARGV[6] transition JSON   ARGV[7] outbox MAXLEN   ARGV[8] case_id
-- The outbox entry carries the new record in field a0 (commit.lua describes the layout).
-- Returns 1 done; 0 the record changed since it was read.
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if KEYS[5] ~= KEYS[6] then
  redis.call('ZREM', KEYS[5], ARGV[4])
  redis.call('ZADD', KEYS[6], 0, ARGV[4])
end
redis.call('HINCRBY', KEYS[2], 'ver', 1)
redis.call('ZADD', KEYS[3], 'NX', ARGV[5], ARGV[8])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[7], '*', 't', ARGV[6], 'r:' .. ARGV[1], ARGV[3])
return 1
