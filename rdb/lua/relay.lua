-- relay.lua: copy one partition's outbox entries into the global slot exactly once.
-- The relay reads the partition's checkpoint, then its outbox after it, turns the entries
-- into operations, and calls this script with the checkpoint it read: if another relay moved
-- the checkpoint meanwhile, nothing is applied (0) and the caller reads again. The copy and
-- the checkpoint move in one atomic step, so every entry is applied once.
-- KEYS[1] relay hash (partition → last outbox id)   KEYS[2] alert stream
-- KEYS[3] system alerts hash   KEYS[4..] further keys of the global slot the ops name by index
-- ARGV[1] partition   ARGV[2] checkpoint read ('' for none)   ARGV[3] new checkpoint
-- ARGV[4] alert stream MINID (entries older than this may be trimmed)
-- ARGV[5] number of ops, then the ops, each a tag and its arguments:
--   'a' record                      append an alert to the stream
--   'n' key field delta             HINCRBY KEYS[key] field delta
--   'f' key dfield hfield delta threshold id record
--                                   count a fault of a department (and handler, hfield ~= '');
--                                   when the handler reaches threshold, create the system alert
--                                   id once (HSETNX) and append it to the stream
--   's' id record                   create a system alert once and append it to the stream
--   'o' order                       append a supervision order's change to the stream (field o)
--   (in 'f', an empty dfield counts the handler only: a confirmed fault of a handler)
-- Returns 1 applied; 0 conflict.
local cur = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if cur ~= ARGV[2] then
  return 0
end
local minid = ARGV[4]
local function append(doc)
  redis.call('XADD', KEYS[2], 'MINID', '~', minid, '*', 'a', doc)
end
local n = tonumber(ARGV[5])
local i = 6
for _ = 1, n do
  local tag = ARGV[i]
  if tag == 'a' then
    append(ARGV[i + 1])
    i = i + 2
  elseif tag == 'n' then
    redis.call('HINCRBY', KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  elseif tag == 'f' then
    local key = KEYS[tonumber(ARGV[i + 1])]
    local delta = tonumber(ARGV[i + 4])
    if ARGV[i + 2] ~= '' then
      redis.call('HINCRBY', key, ARGV[i + 2], delta)
    end
    if ARGV[i + 3] ~= '' then
      local c = redis.call('HINCRBY', key, ARGV[i + 3], delta)
      if delta > 0 and c >= tonumber(ARGV[i + 5]) then
        if redis.call('HSETNX', KEYS[3], ARGV[i + 6], ARGV[i + 7]) == 1 then
          append(ARGV[i + 7])
        end
      end
    end
    i = i + 8
  elseif tag == 's' then
    if redis.call('HSETNX', KEYS[3], ARGV[i + 1], ARGV[i + 2]) == 1 then
      append(ARGV[i + 2])
    end
    i = i + 3
  elseif tag == 'o' then
    redis.call('XADD', KEYS[2], 'MINID', '~', minid, '*', 'o', ARGV[i + 1])
    i = i + 2
  else
    return redis.error_reply('relay: unknown op ' .. tostring(tag))
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
