-- Touch: the session lives on as after a write, and nothing else changes.
-- KEYS and ARGV[1..5]: as in session.lua.
-- Returns 1 touched, -1 the session holds no namespace.
move_legacy()
forget_expired()
if namespaces_held() == 0 then return -1 end
set_lifetime()
return 1
