-- GET of a session: the names of its namespaces, and the documents of those asked for.
-- KEYS[1], KEYS[2], KEYS[3]: as in session.lua.
-- ARGV[1]: now (ms since the epoch). ARGV[2]: the prefix of the session's legacy keys.
-- ARGV[3..]: the namespaces asked for (at most 100).
-- Returns {names, documents, own ends, session end, legacy}: every namespace alive now; for each
-- one asked for, its document as stored (false: none) and when its own lifetime ends (false:
-- with the session's); when the session ends (false: never); 1 if the session is still in the
-- old layout, whose documents are stored as served. One script: one moment.
local now = tonumber(ARGV[1])
local wanted = {}
for i = 3, #ARGV do wanted[#wanted + 1] = ARGV[i] end

local function current()
    local gone = {}
    for _, name in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do gone[name] = true end
    local names = {}
    for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
        if string.sub(field, 1, 1) ~= ':' and not gone[field] then names[#names + 1] = field end
    end
    local documents, own = {}, {}
    if #wanted > 0 then
        documents = redis.call('HMGET', KEYS[1], unpack(wanted))
        own = redis.call('ZMSCORE', KEYS[2], unpack(wanted))
    end
    for i, name in ipairs(wanted) do
        if gone[name] then documents[i] = false end
    end
    return {names, documents, own, session_end(now), 0}
end

local function legacy()
    local scored = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. now, '+inf', 'WITHSCORES')
    local names, ends_of = {}, {}
    for i = 1, #scored, 2 do
        names[#names + 1] = scored[i]
        ends_of[scored[i]] = scored[i + 1]
    end
    local documents, own = {}, {}
    for i, name in ipairs(wanted) do
        documents[i], own[i] = false, false
        if ends_of[name] then
            documents[i] = redis.call('GET', ARGV[2] .. 'doc:' .. name)
            if ends_of[name] ~= 'inf' then own[i] = ends_of[name] end
        end
    end
    return {names, documents, own, redis.call('GET', ARGV[2] .. 'ends'), 1}
end

if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[3]) == 0 then
    return current()
end
return legacy()
