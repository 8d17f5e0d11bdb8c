-- publish.lua: publish a month's ranking. A published month is immutable: without force an
-- existing one stays and 0 is returned. With force the previous version is kept (pushed on
-- the month's history list) and the new one replaces it.
-- KEYS[1] rankings hash   KEYS[2] the month's history list
-- ARGV[1] month   ARGV[2] ranking JSON   ARGV[3] '1' to force
-- Returns 1 published; 0 already published (and not forced).
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  if ARGV[3] ~= '1' then
    return 0
  end
  redis.call('LPUSH', KEYS[2], old)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
