-- Move one session written in the layout before this one into this one (sessionator store
-- migrate); its lifetime is kept, not extended. KEYS and ARGV[1..5]: as in session.lua.
-- Returns 1 moved, 0 it was not in the old layout.
local old = redis.call('EXISTS', KEYS[3])
move_legacy()
return old
