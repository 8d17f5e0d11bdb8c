-- backlog.lua: count the alert stream entries after each of some positions, each count capped,
-- so that reading the backlog of a far-behind subscription costs a bounded amount.
-- KEYS[1] alert stream
-- ARGV[1] cap   ARGV[2..] positions (stream ids; '' for the start of the stream)
-- Returns the counts, in ARGV's order.
local cap = tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV do
  local start = '-'
  if ARGV[i] ~= '' then
    start = '(' .. ARGV[i]
  end
  out[#out + 1] = #redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', cap)
end
return out
