"""The Redis store's Lua scripts: each change that must be one atomic step in Redis.

Each names its KEYS and ARGV above it; the parts of ``server.stores.redis`` are their only
callers.
"""

# KEYS: live, open-rooms set, info, audit stream, bans hash, the operation's record,
#   this attempt's fence, the room's event log.
# ARGV: version, '1' ('' closes), room id, the room's channel, the info the rule saw,
#   audit entry ('' none), its MAXLEN, its MINID, the stream's expiry (ms),
#   ban: 'keep', 'lift' or '', its subject, its record (as read, to lift),
#   the entry's time (ms), the record's expiry (ms), the record, the epoch the rule saw,
#   the log's MAXLEN, n log entries, k state fields set, d deleted, n pairs (seq, framed
#   event), k pairs (field, value), d fields, then pairs (channel, frame), in order:
#   channel '' is the room's own, a shard channel (SPUBLISH: on a Redis Cluster it hashes
#   to the room's slot, so the shard holding the room publishes it), any other one every
#   process may read (PUBLISH, which a cluster sends to every node).
# The state is kept in parts (``server.stores.redis_parts``): a change sets and deletes
# only the fields it changed, beside the version and epoch.
# A log whose last entry is at or past the first new seq is ahead of the state (the
# state was rolled back): it no longer tells this room's history, so it is dropped and a
# resume from it gets a snapshot.
# A fenced attempt (its sender has answered that nothing changed) and a repeated
# operation (its record exists: {2, record}) change nothing; the record is written with
# the change, so whoever finds it knows the change was made.
# An entry's stream id is its own time (never below the last id, should clocks differ),
# so the log is trimmed exactly by the entry's time and length, as the embedded store
# trims it, not by when Redis happened to receive it.
# One script, so a facilitator's action, its audit entry and its ban record are written
# together or not at all, and the events are published in the same step. Redis does not
# undo a script's earlier writes when a later command fails, so every key is checked to
# be of its type before anything is written (-2: nothing written).
COMMIT = """
if redis.call('EXISTS', KEYS[7]) == 1 then return -3 end
local first = redis.call('GET', KEYS[6])
if first then return {2, first} end
local live = redis.call('HMGET', KEYS[1], 'v', 'e')
local v = live[1]
if not v then return -1 end
if v ~= ARGV[1] or (live[2] or '') ~= ARGV[16] or redis.call('GET', KEYS[3]) ~= ARGV[5] then
  return 0
end
local audit = redis.call('TYPE', KEYS[4])['ok']
local bans = redis.call('TYPE', KEYS[5])['ok']
local log = redis.call('TYPE', KEYS[8])['ok']
if (audit ~= 'none' and audit ~= 'stream') or (bans ~= 'none' and bans ~= 'hash')
  or (log ~= 'none' and log ~= 'stream') then
  return -2
end
local n, k, d = tonumber(ARGV[18]), tonumber(ARGV[19]), tonumber(ARGV[20])
local sets = 21 + 2 * n
local deletes = sets + 2 * k
local frames = deletes + d
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1], KEYS[8])
  redis.call('SREM', KEYS[2], ARGV[3])
else
  local epoch = ARGV[15]:sub(1, 32)  -- the record starts with this attempt's id
  local fields = {'v', tostring(tonumber(v) + 1), 'e', epoch}
  for i = sets, deletes - 1 do
    fields[#fields + 1] = ARGV[i]
    if #fields == 200 then  -- unpack's stack is bounded: a long write goes in chunks
      redis.call('HSET', KEYS[1], unpack(fields))
      fields = {}
    end
  end
  if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
  for i = deletes, frames - 1, 100 do
    redis.call('HDEL', KEYS[1], unpack(ARGV, i, math.min(i + 99, frames - 1)))
  end
  if n > 0 then
    local last = redis.call('XREVRANGE', KEYS[8], '+', '-', 'COUNT', 1)[1]
    if last and tonumber(string.match(last[1], '^(%d+)')) >= tonumber(ARGV[21]) then
      redis.call('DEL', KEYS[8])
    end
    for i = 0, n - 1 do
      local id = ARGV[21 + 2 * i] .. '-0'
      redis.call('XADD', KEYS[8], 'MAXLEN', ARGV[17], id, 'f', ARGV[22 + 2 * i])
    end
  end
end
if ARGV[6] ~= '' then
  local at = tonumber(ARGV[13])
  local last = redis.call('XREVRANGE', KEYS[4], '+', '-', 'COUNT', 1)[1]
  if last then at = math.max(at, tonumber(string.match(last[1], '^(%d+)'))) end
  redis.call('XADD', KEYS[4], 'MAXLEN', ARGV[7], string.format('%d-*', at), 'e', ARGV[6])
  redis.call('XTRIM', KEYS[4], 'MINID', ARGV[8])
  redis.call('PEXPIRE', KEYS[4], ARGV[9])
end
if ARGV[10] == 'keep' then
  redis.call('HSET', KEYS[5], ARGV[11], ARGV[12])
elseif ARGV[10] == 'lift' and redis.call('HGET', KEYS[5], ARGV[11]) == ARGV[12] then
  redis.call('HDEL', KEYS[5], ARGV[11])
end
redis.call('SET', KEYS[6], ARGV[15], 'PX', ARGV[14])
for i = frames, #ARGV, 2 do
  if ARGV[i] == '' then
    redis.call('SPUBLISH', ARGV[4], ARGV[i + 1])
  else
    redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
  end
end
return 1
"""

# KEYS: live, info, and an operation's record (optional).
# ARGV: the version, epoch and info bytes of the copy the reader holds ('' for none).
# A room read in one step: {1, found, record} when the live hash is still at that version
# and epoch and the info unchanged (the copy is current: nothing more is sent, however
# big the room), else {0, found, record, info, the live hash's fields and values}; found
# is 1 when the record exists. A missing room is {0, found, record, false, {}}.
READ = """
local record, found = '', 0
if KEYS[3] then
  local first = redis.call('GET', KEYS[3])
  if first then record, found = first, 1 end
end
local live = redis.call('HMGET', KEYS[1], 'v', 'e')
local info = redis.call('GET', KEYS[2])
if ARGV[1] ~= '' and live[1] == ARGV[1] and (live[2] or '') == ARGV[2] and info == ARGV[3] then
  return {1, found, record}
end
return {0, found, record, info, redis.call('HGETALL', KEYS[1])}
"""

# KEYS: an operation's record, an attempt's fence. ARGV: the fence's expiry (ms).
# After a commit went unanswered: its record if it (or an earlier attempt of the same
# operation) was applied; else the attempt is fenced off in the same step, so it can
# never apply later and "nothing changed" stays true.
LEARN = """
local first = redis.call('GET', KEYS[1])
if first then return {1, first} end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return {0, ''}
"""

# KEYS: info, live. ARGV: info, then pairs (field, value): the epoch of this opening and
# the empty state's parts. The room's id is added to the open-rooms set before (another
# slot on a Redis Cluster), which ``open_rooms`` checks against the live keys: so an open
# room is always in it.
OPEN = """
redis.call('SET', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[2], 'v', '0', unpack(ARGV, 2))
return 1
"""

# KEYS: info, live, defined set. ARGV: room id. Keeps the info an open room still reads.
FORGET = """
if redis.call('SREM', KEYS[3], ARGV[1]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('DEL', KEYS[1]) end
return 1
"""

# KEYS: info, live. FORGET's second half on a Redis Cluster, where the defined set is in
# another slot: the store removes the room from it first.
FORGET_INFO = """
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('DEL', KEYS[1]) end
return 1
"""

# KEYS: for each allowance (``rooms.allowances``), its counter of this window, then of
#   the last one.
# ARGV: for each, its count, its window (ms), how far into this window now is (ms), and
#   '1' if it slides (the last window's count then weighs by how much of it is inside).
# Returns 1 if the action was counted (it fitted every allowance) or 0 (it counted in
# none), then each allowance's last and this window's counts. The fit test is
# ``rooms.allowances.fits``, in integers. One step, so two processes never both take the
# last place and every counter gets its expiry (this window's counter outlives the next
# one, where it is the last); several allowances for one action (a participant's and
# their address's) cost one round trip.
TAKE = """
local taken = 1
local counts = {}
for i = 1, #KEYS / 2 do
  local count, window = tonumber(ARGV[4 * i - 3]), tonumber(ARGV[4 * i - 2])
  local into = tonumber(ARGV[4 * i - 1])
  local this = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local last = 0
  if ARGV[4 * i] == '1' then last = tonumber(redis.call('GET', KEYS[2 * i]) or '0') end
  if last * (window - into) + (this + 1) * window > count * window then taken = 0 end
  counts[2 * i - 1] = last
  counts[2 * i] = this
end
if taken == 1 then
  for i = 1, #KEYS / 2 do
    counts[2 * i] = redis.call('INCR', KEYS[2 * i - 1])
    if counts[2 * i] == 1 then
      local window = tonumber(ARGV[4 * i - 2])
      redis.call('PEXPIRE', KEYS[2 * i - 1], 2 * window - tonumber(ARGV[4 * i - 1]))
    end
  end
end
table.insert(counts, 1, taken)
return counts
"""

# KEYS: the room's empty mark. ARGV: now (ms), how long a mark is kept (ms). A mark is
# forgotten once that old by the caller's clock, as in the embedded store; the key's own
# expiry only sweeps marks nobody asks about any more.
EMPTY = """
local since = redis.call('GET', KEYS[1])
if since and tonumber(ARGV[1]) - tonumber(since) < tonumber(ARGV[2]) then return since end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
"""

# KEYS: a bans hash. ARGV: the subject, the ban record as read. Lifts the ban only if it
# is still that record (on a Redis Cluster, a series' ban after its commit:
# ``server.stores.redis_spread``).
LIFT = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1
"""
