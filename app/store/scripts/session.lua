-- The prelude of every write script: one session's layout and lifetime.
--
-- KEYS[1]: the session's hash. One field per namespace, named after it, holding its document
--          as stored: as served but without the _session and _namespace members, which the key
--          and the field already say (so {"_modified":...} on). ':b' holds when the session began
--          (ms), while SESSION_MAX_AGE caps it. The hash expires when the session ends, so its
--          TTL is the session's end: nothing else stores it.
-- KEYS[2]: the sorted set of the namespaces whose own lifetime (their schema's ttl) may end
--          before the session's, scored by when (ms). Absent when there are none.
-- KEYS[3]: the session's index in the layout before this one (a sorted set of names, with a
--          string key per document); it exists only for sessions not yet moved (see move_legacy).
-- ARGV[1]: now (ms since the epoch).    ARGV[2]: the session's sliding TTL (ms; 0: none).
-- ARGV[3]: its maximum age (ms; 0: none). ARGV[4]: the prefix of the session's legacy keys.
-- ARGV[5]: how every served document of the session begins: {"_session":"<sid>","_namespace":"
-- Every key shares the session's hash tag, so a script stays in one cluster slot.
local now, ttl, max_age = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local legacy, head = ARGV[4], ARGV[5]

-- How a namespace's served document begins; its stored form is '{' and what follows this.
local function head_of(name)
    return head .. name .. '",'
end

-- The namespaces the session holds (its fields but ':b').
local function namespaces_held()
    return redis.call('HLEN', KEYS[1]) - redis.call('HEXISTS', KEYS[1], ':b')
end

-- The namespaces the session holds whose own lifetime has not ended, counted without writing
-- (every name in KEYS[2] is a field of the hash: the scripts write and remove both together).
local function namespaces_alive()
    return namespaces_held() - redis.call('ZCOUNT', KEYS[2], '-inf', now)
end

-- Namespace name's document as stored, nil if there is none or its own lifetime has ended.
local function alive(name)
    local stored = redis.call('HGET', KEYS[1], name)
    if not stored then return nil end
    local own = redis.call('ZSCORE', KEYS[2], name)
    if own and tonumber(own) <= now then return nil end
    return stored
end

-- Forget the namespaces whose own lifetime has ended: their bytes go at the session's next write.
-- Deletes only (HDEL, ZREMRANGEBYSCORE), which Redis runs even when it is full; but a script
-- that has written may then grow the store however full it is, so a script that grows it
-- forgets only after its first growing write (see put.lua).
local function forget_expired()
    local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
    for i = 1, #gone, 1000 do
        redis.call('HDEL', KEYS[1], unpack(gone, i, math.min(i + 999, #gone)))
    end
    if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end
end

-- The session lives on: its keys expire ttl from now, or at its cap; forever without either.
-- Only PEXPIREAT and PERSIST, which Redis runs even when it is full, so deletes and touches do.
local function set_lifetime()
    local ends = nil
    if ttl > 0 then ends = now + ttl end
    if max_age > 0 then
        local born = tonumber(redis.call('HGET', KEYS[1], ':b'))
        if born and (not ends or born + max_age < ends) then ends = born + max_age end
    end
    if ends then
        redis.call('PEXPIREAT', KEYS[1], ends)
        redis.call('PEXPIREAT', KEYS[2], ends)
    else
        redis.call('PERSIST', KEYS[1])
        redis.call('PERSIST', KEYS[2])
    end
    return ends
end

-- When a namespace expires (ms): the earlier of its own end and the session's; -1: never.
local function expiry_of(name, ends)
    local own = tonumber(redis.call('ZSCORE', KEYS[2], name))
    if own and (not ends or own < ends) then return own end
    return ends or -1
end

local function listed(tags, tag)
    for candidate in string.gmatch(tags, '%S+') do
        if candidate == tag then return true end
    end
    return false
end

-- If-Match and If-None-Match against the stored document (nil: none), as app/store/preconditions.py
-- says: modes '' (no header), '*' or 'list' (then the space-separated ETags). An ETag is the
-- SHA-1 of the document as served (but _expires).
local function preconditions_hold(stored, name, match, match_tags, none, none_tags)
    local tag = nil
    if stored and (match == 'list' or none == 'list') then
        tag = redis.sha1hex(head_of(name) .. string.sub(stored, 2))
    end
    if match == '*' and not stored then return false end
    if match == 'list' and not (stored and listed(match_tags, tag)) then return false end
    if none == '*' and stored then return false end
    if none == 'list' and stored and listed(none_tags, tag) then return false end
    return true
end

-- Moving a session written before this layout into it, in three steps that a script runs in
-- one atomic whole: legacy_moves() reads what the session holds; move_in() writes each document
-- still alive into the hash (unless the hash has one by now), its own expiry into KEYS[2] and
-- when the session began; move_out() sets when the session ends and deletes the old keys. A
-- session is in one layout at a time. move_in() writes only with HSETNX and ZADD, which Redis
-- refuses when it is full (maxmemory, noeviction) as long as the script has written nothing
-- yet: so a script that grows the store can move first and still be refused whole.

-- What the session holds in the old layout, read without writing; nil if it is not in it.
local function legacy_moves()
    if redis.call('EXISTS', KEYS[3]) == 0 then return nil end
    local entries = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
    local moves = {keys = {}, documents = {}}
    for i = 1, #entries, 2 do
        local name, score = entries[i], entries[i + 1]
        local key = legacy .. 'doc:' .. name
        local document = redis.call('GET', key)
        local alive = score == 'inf' or tonumber(score) > now
        local prefix = head_of(name)
        if document and alive and string.sub(document, 1, #prefix) == prefix then
            local stored = '{' .. string.sub(document, #prefix + 1)
            moves.documents[#moves.documents + 1] = {name, stored, score}
        end
        moves.keys[#moves.keys + 1] = key
    end
    moves.born = redis.call('GET', legacy .. 'born')
    moves.ends = redis.call('GET', legacy .. 'ends')
    return moves
end

local function move_in(moves)
    for _, moved in ipairs(moves.documents) do
        local name, stored, score = moved[1], moved[2], moved[3]
        redis.call('HSETNX', KEYS[1], name, stored)
        if score ~= 'inf' then redis.call('ZADD', KEYS[2], score, name) end
    end
    if moves.born then redis.call('HSETNX', KEYS[1], ':b', moves.born) end
end

local function move_out(moves)
    if moves.ends then
        redis.call('PEXPIREAT', KEYS[1], moves.ends)
        redis.call('PEXPIREAT', KEYS[2], moves.ends)
    end
    for i = 1, #moves.keys, 1000 do
        redis.call('DEL', unpack(moves.keys, i, math.min(i + 999, #moves.keys)))
    end
    redis.call('DEL', KEYS[3], legacy .. 'born', legacy .. 'ends')
end

-- The whole move, if the session is still in the old layout.
local function move_legacy()
    local moves = legacy_moves()
    if moves then
        move_in(moves)
        move_out(moves)
    end
end
