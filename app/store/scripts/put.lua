-- PUT: create or replace one namespace's document, if the preconditions hold.
-- KEYS and ARGV[1..5]: as in session.lua.
-- ARGV[6]: the namespace.  ARGV[7]: its document as stored ('{' then what follows the head).
-- ARGV[8]: the namespace's own lifetime (ms; 0: as long as the session).
-- ARGV[9]: the most namespaces a session may hold (0: no limit).
-- ARGV[10], ARGV[11]: If-Match mode and ETags.  ARGV[12], ARGV[13]: If-None-Match's.
-- Returns {outcome, expires}: 1 written, 0 a precondition failed, -2 a new namespace would be
-- one too many; expires: when the namespace now expires (ms), or -1: never.
-- A bounded number of commands, however many namespaces the session holds.
-- Redis refuses a command that may grow its memory when it is full (maxmemory, noeviction), but
-- only while the script has written nothing: after any write, even a delete, it lets every later
-- one through. So nothing is written before the first growing write: the checks only read (a
-- namespace past its own end counts as absent), then move_in() (HSETNX, ZADD: only a session
-- still in the old layout) or the HSET writes first, and what deletes, forgets or sets a
-- lifetime comes after. A put on a full store is refused whole; one that is not written
-- (a precondition, the namespace limit) still moves the session and forgets, as any write does.
local moves = legacy_moves()
if moves then move_in(moves) end

-- What every write does besides its own change: finish the move, forget the ended namespaces.
local function settle()
    if moves then move_out(moves) end
    forget_expired()
end

local name = ARGV[6]
local stored = alive(name)
if not preconditions_hold(stored, name, ARGV[10], ARGV[11], ARGV[12], ARGV[13]) then
    settle()
    return {0, -1}
end
local most = tonumber(ARGV[9])
if most > 0 and not stored and namespaces_alive() >= most then
    settle()
    return {-2, -1}
end
redis.call('HSET', KEYS[1], name, ARGV[7])
local own = tonumber(ARGV[8])
if own > 0 then
    redis.call('ZADD', KEYS[2], now + own, name)
else
    redis.call('ZREM', KEYS[2], name)
end
settle()
if max_age > 0 then redis.call('HSETNX', KEYS[1], ':b', now) end
return {1, expiry_of(name, set_lifetime())}
