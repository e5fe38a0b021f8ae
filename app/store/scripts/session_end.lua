-- The prelude of the read scripts: when a session ends.
-- KEYS[1]: the session's hash (as in session.lua), whose expiry is the session's end.

-- When the session ends (ms; false: never): its hash's expiry (PEXPIRETIME, Redis 7 and
-- Valkey; on Redis 6.2, now + PTTL).
local function session_end(now)
    local ok, at = pcall(redis.call, 'PEXPIRETIME', KEYS[1])
    if not ok then
        local left = redis.call('PTTL', KEYS[1])
        if left < 0 then return false end
        return now + left
    end
    if at < 0 then return false end
    return at
end
