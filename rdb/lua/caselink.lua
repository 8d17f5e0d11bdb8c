-- caselink.lua: the case's side of the link to an order (invariant 10): record the order's
-- state under the case, unless a later revision is already recorded (relays of one outbox
-- may overlap, and an older entry must not overwrite a newer one).
-- KEYS[1] case's orders hash (order id → "<revision>|<state>")
-- ARGV[1] order id   ARGV[2] revision   ARGV[3] state
-- Returns 1 written, 0 older than what is there.
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local rev = tonumber(string.match(cur, '^(%d+)|'))
  if rev and rev >= tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
return 1
