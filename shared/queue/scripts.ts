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
 * meta (hash: seq, admitted, first_admit, avail_at, sold_out, using_seats),
 * seats (hash user in `using` → seats their purchase asked for).
 *
 * A user record is `w|place` (waiting), `a|place|admitted_ms|until_ms`
 * (admitted) or `u|place|admitted_ms|until_ms` (token spent).
 *
 * Order: a join before the start scores sha1(seed ":" user)'s first 11 hex
 * digits (an integer < 2^44, so exact in a double); a join after the start
 * scores 2^44 + place, behind every pre-queue member, in join order.
 */

/**
 * A stock snapshot older than this when a script runs (a database that took
 * seconds to answer) admits nobody: it must be younger than the time a buyer
 * keeps counting after their purchase (SETTLED_LINGER_MS, 3 s), or a hold it
 * predates could go uncounted.
 */
export const STOCK_MAX_AGE_MS = 2_000;

/** 2^44: every pre-queue score is below it, every later score above. */
export const PRE_QUEUE_SPAN = 17592186044416;

const PRELUDE = `
local line, users, active, using, meta, seats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local now = tonumber(ARGV[1])
local user = ARGV[2]
local function s(x) return string.format('%.0f', x) end
local function parse(rec)
  local st, place, at, untl = string.match(rec, '^(%a)|(%d+)|?(%d*)|?(%d*)$')
  return st, place, tonumber(at) or 0, tonumber(untl) or 0
end
-- Windows that ended free their slot; buyers whose purchase is surely in the
-- stock by now stop counting, with the seats they asked for.
local function expire()
  redis.call('ZREMRANGEBYSCORE', active, '-inf', s(now))
  local gone = redis.call('ZRANGEBYSCORE', using, '-inf', s(now))
  if #gone == 0 then return end
  local freed = 0
  for _, member in ipairs(gone) do
    freed = freed + (tonumber(redis.call('HGET', seats, member) or '0') or 0)
    redis.call('HDEL', seats, member)
  end
  redis.call('ZREMRANGEBYSCORE', using, '-inf', s(now))
  redis.call('HINCRBY', meta, 'using_seats', -freed)
end
`;

/**
 * ARGV 3..7: starts_ms, window_ms, k in hundredths (integer: 150 = 1.5),
 * available, available_at_ms.
 *
 * "available" is what Postgres says is on sale (public.event_available: the
 * capacity of active ticket types not sold and not held by a live hold) in a
 * snapshot read at available_at_ms. A snapshot older than one already applied
 * is ignored (several instances poll). Buyers who spent their token stay
 * counted (in `using`, with the seats they asked for) until their hold is
 * surely in every snapshot applied: the seats are taken off the snapshot
 * whether or not it already has them, which only admits fewer, never more.
 *
 * The rule, exact in integers: admit in score order while
 *   active + using < floor(k100 × (available − using_seats) / 100),
 * so at every admission active + using ≤ k × (what is truly on sale).
 */
const ADMIT = `
local starts, window, k100 = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local avail, avail_at = tonumber(ARGV[6]), tonumber(ARGV[7])
local function admit()
  expire()
  local last = tonumber(redis.call('HGET', meta, 'avail_at') or '0')
  if avail_at < last then return end
  redis.call('HSET', meta, 'avail_at', s(avail_at))
  if avail <= 0 then
    redis.call('HSET', meta, 'sold_out', '1')
    return
  end
  redis.call('HSET', meta, 'sold_out', '0')
  if now < starts or now - avail_at > ${STOCK_MAX_AGE_MS} then return end
  local free = avail - tonumber(redis.call('HGET', meta, 'using_seats') or '0')
  if free <= 0 then return end
  local room = math.floor(k100 * free / 100) - redis.call('ZCARD', active)
    - redis.call('ZCARD', using)
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
 * A user's view: { state, place, rank (-1 unknown), admitted_ms, until_ms,
 * admitted total, first admission ms, sold_out 0/1, waiting count }.
 * State: none, waiting, admitted, used, expired. Before the start the rank is
 * unknown (-1): the pre-queue has no order until the seed decides it.
 */
const VIEW = `
local function view(who)
  local rec = redis.call('HGET', users, who)
  local sold = redis.call('HGET', meta, 'sold_out') == '1' and 1 or 0
  local admitted = tonumber(redis.call('HGET', meta, 'admitted') or '0')
  local first = redis.call('HGET', meta, 'first_admit') or '0'
  local waiting = redis.call('ZCARD', line)
  if not rec then return {'none', '0', -1, '0', '0', admitted, first, sold, waiting} end
  local st, place, at, untl = parse(rec)
  if st == 'w' then
    local rank = -1
    if now >= starts then rank = redis.call('ZRANK', line, who) or -1 end
    return {'waiting', place, rank, '0', '0', admitted, first, sold, waiting}
  end
  local state = 'expired'
  if now < untl then state = (st == 'a') and 'admitted' or 'used' end
  return {state, place, -1, s(at), s(untl), admitted, first, sold, waiting}
end
`;

/**
 * status: ARGV as ADMIT (ARGV[2] unused), then 8.. the users asking. Admits
 * whoever is due, then answers for each of them: one call serves every poll
 * of the event that arrived while the previous call was on the wire.
 */
export const STATUS_SCRIPT = PRELUDE + ADMIT + VIEW + `
admit()
local out = {}
for i = 8, #ARGV do out[#out + 1] = view(ARGV[i]) end
return out
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
    local v = view(user)
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
local v = view(user)
table.insert(v, 1)
return v
`;

/**
 * use: ARGV 3 using_ttl_ms, 4 seats asked for, 5 key ttl_seconds. Called
 * before a purchase with a token: the buyer leaves `active` for `using`
 * (still counted against admissions, with their seats, until the hold is
 * surely visible in the stock). Returns 1 if the user was active.
 */
export const USE_SCRIPT = PRELUDE + `
local rec = redis.call('HGET', users, user)
if not rec then return 0 end
local st, place, at, untl = parse(rec)
if st ~= 'a' then return 0 end
local asked = tonumber(ARGV[4])
-- Still lingering from an earlier admission: its seats are replaced, not added.
local before = tonumber(redis.call('HGET', seats, user) or '0')
redis.call('ZREM', active, user)
redis.call('ZADD', using, s(now + tonumber(ARGV[3])), user)
redis.call('HSET', seats, user, s(asked))
redis.call('HINCRBY', meta, 'using_seats', asked - before)
redis.call('EXPIRE', seats, tonumber(ARGV[5]))
redis.call('HSET', users, user, 'u|' .. place .. '|' .. s(at) .. '|' .. s(untl))
return 1
`;

/**
 * settle: ARGV 3 linger_ms. Called once the purchase's transaction is over:
 * the buyer keeps counting only `linger_ms` more, long enough for any stock
 * snapshot read before the hold committed to be superseded.
 */
export const SETTLE_SCRIPT = PRELUDE + `
if redis.call('ZSCORE', using, user) then
  redis.call('ZADD', using, 'XX', s(now + tonumber(ARGV[3])), user)
  return 1
end
return 0
`;

const STATS = `
local function stats()
  return {redis.call('ZCARD', active), redis.call('ZCARD', using), redis.call('ZCARD', line),
    tonumber(redis.call('HGET', meta, 'admitted') or '0'),
    redis.call('HGET', meta, 'sold_out') == '1' and 1 or 0,
    tonumber(redis.call('HGET', meta, 'using_seats') or '0')}
end
`;

/**
 * stats: { active, using, waiting, admitted total, sold_out, using_seats }
 * after expiring windows at ARGV[1].
 */
export const STATS_SCRIPT = PRELUDE + STATS + `
expire()
return stats()
`;

/**
 * admit: ARGV as ADMIT. The background step (the queue tick): admits whoever
 * is due even when nobody polls, then returns stats().
 */
export const ADMIT_SCRIPT = PRELUDE + ADMIT + STATS + `
admit()
return stats()
`;
