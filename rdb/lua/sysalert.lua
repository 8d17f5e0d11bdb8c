-- sysalert.lua: change a system alert (calendar_missing, fault_threshold) — a supervisor's
-- action, or the system resolving it — with a compare-and-set on the record as read, and
-- append the changed record to the alert stream in the same step.
-- KEYS[1] system alerts hash   KEYS[2] alert stream
-- ARGV[1] alert id   ARGV[2] record JSON as read   ARGV[3] new record JSON   ARGV[4] MINID
-- Returns 1 done; 0 the record changed since it was read (or does not exist).
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[4], '*', 'a', ARGV[3])
return 1
