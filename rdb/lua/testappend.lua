-- testappend.lua: append an alert record to the alert stream as the relay does (tests only:
-- they produce alert stream entries without folding cases).
-- KEYS[1] alert stream
-- ARGV[1] record JSON   ARGV[2] MINID
-- Returns the entry's id.
return redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[2], '*', 'a', ARGV[1])
