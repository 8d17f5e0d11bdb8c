-- autoopen.lua: automatic opening's decision for one alert, made once per alert and kept,
-- in the case's partition: attach the alert to the case's pending order (open or replied;
-- with several, the smallest id), or reserve the candidate id for a new order and mark it
-- pending under the case at once, so a second alert of the case attaches to it.
-- KEYS[1] case's orders hash   KEYS[2] the partition's automatic-opening decisions hash
-- ARGV[1] alert id   ARGV[2] candidate order id (a fresh number), or '' to ask first
-- Returns "open|<id>" or "attach|<id>" (a retried alert gets its first answer), or "need|"
-- when a new order is needed and no candidate was given (numbers are taken only when used).
local done = redis.call('HGET', KEYS[2], ARGV[1])
if done then
  return done
end
local best = nil
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local st = string.match(all[i + 1], '|(%a+)$')
  if (st == 'open' or st == 'replied') and (best == nil or all[i] < best) then
    best = all[i]
  end
end
local out
if best then
  out = 'attach|' .. best
elseif ARGV[2] == '' then
  return 'need|'
else
  redis.call('HSET', KEYS[1], ARGV[2], '0|open')
  out = 'open|' .. ARGV[2]
end
redis.call('HSET', KEYS[2], ARGV[1], out)
return out
