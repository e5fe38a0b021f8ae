-- DELETE of a whole session: every namespace, in either layout, in one atomic step.
-- KEYS and ARGV[1..5]: as in session.lua.
-- Returns how many namespaces the session held (those whose own lifetime ended not counted).
local held = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
    held = namespaces_held() - redis.call('ZCOUNT', KEYS[2], '-inf', now)
    redis.call('UNLINK', KEYS[1], KEYS[2])
end
local names = redis.call('ZRANGE', KEYS[3], 0, -1)
for _, name in ipairs(names) do
    redis.call('DEL', legacy .. 'doc:' .. name)
end
if #names > 0 then
    held = held + redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')
    redis.call('DEL', KEYS[3], legacy .. 'born', legacy .. 'ends')
end
return held
