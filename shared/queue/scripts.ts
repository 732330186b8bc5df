/**
 * The waiting room's Lua scripts: each queue operation is one script, so it is
 * atomic on Redis. They are deterministic (no TIME, no random): the caller
 * passes the time, the seed and the stock. Numbers cross the Lua boundary as
 * integer strings (`%.0f`), because Lua's default 14-digit formatting would
 * round millisecond timestamps and scores.
 *
 * KEYS (every script, same order): line (zset of waiting users by score),
 * users (hash user → record), active (zset admitted-not-yet-buying users by
 * window end), using (zset users who spent their token, by a short expiry),
 * meta (hash: seq, admitted, first_admit, avail_at, sold_out).
 *
 * A user record is `w|place` (waiting), `a|place|admitted_ms|until_ms`
 * (admitted) or `u|place|admitted_ms|until_ms` (token spent).
 *
 * Order: a join before the start scores sha1(seed ":" user)'s first 11 hex
 * digits (an integer < 2^44, so exact in a double); a join after the start
 * scores 2^44 + place, behind every pre-queue member, in join order.
 */

/** 2^44: every pre-queue score is below it, every later score above. */
export const PRE_QUEUE_SPAN = 17592186044416;

const PRELUDE = `
local line, users, active, using, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now = tonumber(ARGV[1])
local user = ARGV[2]
local function s(x) return string.format('%.0f', x) end
local function parse(rec)
  local st, place, at, untl = string.match(rec, '^(%a)|(%d+)|?(%d*)|?(%d*)$')
  return st, place, tonumber(at) or 0, tonumber(untl) or 0
end
`;

/**
 * ARGV 3..7: starts_ms, window_ms, k, available, available_at_ms.
 * Admits while active + using < floor(k × available), in score order. A stock
 * snapshot older than one already applied is ignored (several instances poll).
 * Users who spent their token stay counted (in \`using\`) for a while: their
 * hold may not be in the snapshot yet, and counting them twice only admits
 * fewer, never more.
 */
const ADMIT = `
local starts, window, k = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local avail, avail_at = tonumber(ARGV[6]), tonumber(ARGV[7])
local function admit()
  redis.call('ZREMRANGEBYSCORE', active, '-inf', s(now))
  redis.call('ZREMRANGEBYSCORE', using, '-inf', s(now))
  local last = tonumber(redis.call('HGET', meta, 'avail_at') or '0')
  if avail_at < last then return end
  redis.call('HSET', meta, 'avail_at', s(avail_at))
  if avail <= 0 then
    redis.call('HSET', meta, 'sold_out', '1')
    return
  end
  redis.call('HSET', meta, 'sold_out', '0')
  if now < starts then return end
  local room = math.floor(k * avail) - redis.call('ZCARD', active) - redis.call('ZCARD', using)
  if room <= 0 then return end
  local popped = redis.call('ZPOPMIN', line, room)
  local n = 0
  for i = 1, #popped, 2 do
    local member = popped[i]
    local _, place = parse(redis.call('HGET', users, member) or 'w|0')
    redis.call('ZADD', active, s(now + window), member)
    redis.call('HSET', users, member, 'a|' .. place .. '|' .. s(now) .. '|' .. s(now + window))
    n = n + 1
  end
  if n > 0 then
    redis.call('HINCRBY', meta, 'admitted', n)
    redis.call('HSETNX', meta, 'first_admit', s(now))
  end
end
`;

/**
 * The caller's view: { state, place, rank (-1 unknown), admitted_ms, until_ms,
 * admitted total, first admission ms, sold_out 0/1, waiting count }.
 * State: none, waiting, admitted, used, expired. Before the start the rank is
 * unknown (-1): the pre-queue has no order until the seed decides it.
 */
const VIEW = `
local function view()
  local rec = redis.call('HGET', users, user)
  local sold = redis.call('HGET', meta, 'sold_out') == '1' and 1 or 0
  local admitted = tonumber(redis.call('HGET', meta, 'admitted') or '0')
  local first = redis.call('HGET', meta, 'first_admit') or '0'
  local waiting = redis.call('ZCARD', line)
  if not rec then return {'none', '0', -1, '0', '0', admitted, first, sold, waiting} end
  local st, place, at, untl = parse(rec)
  if st == 'w' then
    local rank = -1
    if now >= starts then rank = redis.call('ZRANK', line, user) or -1 end
    return {'waiting', place, rank, '0', '0', admitted, first, sold, waiting}
  end
  local state = 'expired'
  if now < untl then state = (st == 'a') and 'admitted' or 'used' end
  return {state, place, -1, s(at), s(untl), admitted, first, sold, waiting}
end
`;

/** status: ARGV as ADMIT. Admits whoever is due, then answers for the user. */
export const STATUS_SCRIPT = PRELUDE + ADMIT + VIEW + `
admit()
return view()
`;

/**
 * join: ARGV as ADMIT, then 8 seed, 9 ttl_seconds. A waiting user, or an
 * admitted one whose window is open, keeps their place; anyone else (new,
 * expired, or whose token was spent) goes to the back. Then admits whoever is
 * due (the joiner too, when there is room). Returns view() plus 1 when a new
 * place was made.
 */
export const JOIN_SCRIPT = PRELUDE + ADMIT + VIEW + `
local seed, ttl = ARGV[8], ARGV[9]
local rec = redis.call('HGET', users, user)
if rec then
  local st, _, _, untl = parse(rec)
  if st == 'w' or (st == 'a' and now < untl) then
    admit()
    local v = view()
    table.insert(v, 0)
    return v
  end
end
local place = redis.call('HINCRBY', meta, 'seq', 1)
local score
if now < starts then
  score = tonumber(string.sub(redis.sha1hex(seed .. ':' .. user), 1, 11), 16)
else
  score = ${PRE_QUEUE_SPAN} + place
end
redis.call('ZADD', line, s(score), user)
redis.call('HSET', users, user, 'w|' .. s(place))
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ttl) end
admit()
local v = view()
table.insert(v, 1)
return v
`;

/**
 * use: ARGV 3 using_ttl_ms. Called before a purchase with a token: the buyer
 * leaves \`active\` for \`using\` (still counted against admissions until the
 * hold is surely visible in the stock). Returns 1 if the user was active.
 */
export const USE_SCRIPT = PRELUDE + `
local rec = redis.call('HGET', users, user)
if not rec then return 0 end
local st, place, at, untl = parse(rec)
if st ~= 'a' then return 0 end
redis.call('ZREM', active, user)
redis.call('ZADD', using, s(now + tonumber(ARGV[3])), user)
redis.call('HSET', users, user, 'u|' .. place .. '|' .. s(at) .. '|' .. s(untl))
return 1
`;

/**
 * settle: ARGV 3 linger_ms. Called once the purchase's transaction is over:
 * the buyer keeps counting only \`linger_ms\` more, long enough for any stock
 * snapshot read before the hold committed to be superseded.
 */
export const SETTLE_SCRIPT = PRELUDE + `
if redis.call('ZSCORE', using, user) then
  redis.call('ZADD', using, 'XX', s(now + tonumber(ARGV[3])), user)
  return 1
end
return 0
`;

/** stats: { active, using, waiting, admitted total, sold_out } after expiring windows at ARGV[1]. */
export const STATS_SCRIPT = PRELUDE + `
redis.call('ZREMRANGEBYSCORE', active, '-inf', s(now))
redis.call('ZREMRANGEBYSCORE', using, '-inf', s(now))
return {redis.call('ZCARD', active), redis.call('ZCARD', using), redis.call('ZCARD', line),
  tonumber(redis.call('HGET', meta, 'admitted') or '0'),
  redis.call('HGET', meta, 'sold_out') == '1' and 1 or 0}
`;
