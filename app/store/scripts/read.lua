-- GET of one namespace.
-- KEYS[1], KEYS[2], KEYS[3]: as in session.lua.
-- ARGV[1]: now (ms since the epoch). ARGV[2]: the namespace. ARGV[3]: the prefix of the session's
-- legacy keys.
-- Returns {document, own end, session end, legacy}: the document as stored (false: none, or its
-- own lifetime has ended), when its own lifetime ends (ms; false: with the session's), when the
-- session ends (ms; false: never), and 1 if the session is still in the old layout, whose
-- documents are stored as served.
local now, name = tonumber(ARGV[1]), ARGV[2]

local stored = redis.call('HGET', KEYS[1], name)
if stored then
    local own = redis.call('ZSCORE', KEYS[2], name)
    if own and tonumber(own) <= now then return {false, false, false, 0} end
    return {stored, own, session_end(now), 0}
end
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[3]) == 0 then
    return {false, false, false, 0}
end
local score = redis.call('ZSCORE', KEYS[3], name)
if not score or (score ~= 'inf' and tonumber(score) <= now) then
    return {false, false, false, 1}
end
if score == 'inf' then score = false end
local document = redis.call('GET', ARGV[3] .. 'doc:' .. name)
return {document, score, redis.call('GET', ARGV[3] .. 'ends'), 1}
