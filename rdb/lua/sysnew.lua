-- sysnew.lua: raise a system alert once (calendar_missing from the December check) and
-- append it to the alert stream.
-- KEYS[1] system alerts hash   KEYS[2] alert stream
-- ARGV[1] alert id   ARGV[2] record JSON   ARGV[3] stream MINID
-- Returns 1 raised; 0 it exists already.
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[3], '*', 'a', ARGV[2])
return 1
