-- DELETE of one namespace, if the preconditions hold; the session lives on as after any write.
-- KEYS and ARGV[1..5]: as in session.lua.  ARGV[6]: the namespace.
-- ARGV[7], ARGV[8]: If-Match mode and ETags.  ARGV[9], ARGV[10]: If-None-Match's.
-- Returns 1 deleted, 0 a precondition failed, -1 no such namespace.
move_legacy()
forget_expired()
local name = ARGV[6]
local stored = redis.call('HGET', KEYS[1], name)
if not preconditions_hold(stored, name, ARGV[7], ARGV[8], ARGV[9], ARGV[10]) then return 0 end
if not stored then return -1 end
redis.call('HDEL', KEYS[1], name)
redis.call('ZREM', KEYS[2], name)
set_lifetime()
return 1
