/**
 * Short-lived caches and rate limits on Upstash Redis, in-process when
 * UPSTASH_REDIS_REST_URL is unset. Redis is never the authority (capacity and
 * check-ins live in Postgres), so an Upstash failure degrades instead of
 * failing the request: reads miss, writes drop, limits fail open, all logged.
 */
import type { Redis } from "@upstash/redis";
import type { Ratelimit } from "@upstash/ratelimit";
import { config } from "./config.ts";
import { log } from "./log.ts";
import { withLocalReservations } from "./rate_reserve.ts";

export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  del(...keys: string[]): Promise<void>;
  /** The TTL starts at the first increment; undefined when the backend fails. */
  incr(key: string, ttlSeconds: number): Promise<number | undefined>;
  /** true when the backend answers (in-process: always); false on any error, for readiness. */
  ping(): Promise<boolean>;
}

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  retryAfterSeconds: number;
}

export type RateLimitOptions = {
  limit: number;
  windowSeconds: number;
  /**
   * Tokens an instance takes from the shared limiter at once and spends
   * locally (default 1: every check asks Redis). See shared/rate_reserve.ts.
   */
  reserve?: number;
};
export type RateLimiter = {
  /** `cost` tokens at once (default 1); allowed only when all of them fit. */
  check(identifier: string, cost?: number): Promise<RateLimitResult>;
};

export interface CacheOptions {
  url?: string;
  token?: string;
  /** Prepended to every key so environments and parallel test runs never collide. */
  prefix?: string;
  /** Per-request deadline; a slow Upstash must not hold a request longer than this. */
  timeoutMs?: number;
}

const DEFAULT_PREFIX = "crodify:";
const DEFAULT_TIMEOUT_MS = 1000;
const MAX_MEMORY_ENTRIES = 10_000;

const warn = log.warn;

function describe(error: unknown): string {
  // The SDK's messages echo the whole command, values included: keep logs short.
  return String(error instanceof Error ? error.message : error).slice(0, 200);
}

/** The raw key/value operations a backend provides; values are JSON text. */
interface Store {
  get(key: string): Promise<string | null | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(keys: string[]): Promise<void>;
  incr(key: string, ttlSeconds: number): Promise<number>;
  ping(): Promise<void>;
}

/** A cache and the limiters that share its connection (or its in-process Map). */
type Backend = { cache: Cache; limiter(name: string, opts: RateLimitOptions): RateLimiter };

async function failOpen<T>(op: string, key: string, run: () => Promise<T>) {
  try {
    return await run();
  } catch (error) {
    warn("cache operation failed; continuing without cache", { op, key, error: describe(error) });
    return undefined;
  }
}

function wholeSeconds(ttl: number): number {
  if (ttl > 0 && Number.isFinite(ttl)) return Math.ceil(ttl);
  throw new RangeError(`ttlSeconds must be a positive number, got ${ttl}`);
}

/**
 * Values are stored as JSON text by both backends so they round-trip the
 * same way (a string "123" stays a string, Dates become strings) whichever
 * backend a test or deployment runs on.
 */
function cacheOver(store: Store, prefix: string): Cache {
  const k = (key: string) => prefix + key;
  const json = (value: unknown) => JSON.stringify(value ?? null);
  return {
    get: <T>(key: string) =>
      failOpen("get", key, async () => {
        const raw = await store.get(k(key));
        return raw === null || raw === undefined ? undefined : JSON.parse(raw) as T;
      }),
    set: (key, value, ttl) =>
      failOpen("set", key, () => store.set(k(key), json(value), wholeSeconds(ttl))),
    del: (...keys) =>
      keys.length === 0
        ? Promise.resolve()
        : failOpen("del", keys.join(","), () => store.del(keys.map(k))),
    incr: (key, ttl) => failOpen("incr", key, () => store.incr(k(key), wholeSeconds(ttl))),
    ping: () =>
      store.ping().then(() => true, (error) => {
        warn("cache ping failed", { error: describe(error) });
        return false;
      }),
  };
}

function limitResult(allowed: boolean, limit: number, remaining: number, resetAt: number) {
  const retryAfterSeconds = allowed ? 0 : Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
  return { allowed, limit, remaining: Math.max(0, remaining), retryAfterSeconds };
}

/**
 * In-process backend: a Map with lazy expiry that evicts expired, then oldest
 * written, entries past a cap (it is a cache: evicting early is only a miss).
 */
function memoryBackend(prefix: string): Backend {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const read = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt > Date.now()) return entry;
    entries.delete(key);
    return undefined;
  };
  const write = (key: string, value: string, expiresAt: number) => {
    entries.delete(key); // re-insert so Map order is write order
    entries.set(key, { value, expiresAt });
    if (entries.size <= MAX_MEMORY_ENTRIES) return;
    for (const [k, entry] of entries) if (entry.expiresAt <= Date.now()) entries.delete(k);
    for (const k of entries.keys()) if (entries.size > MAX_MEMORY_ENTRIES) entries.delete(k);
  };
  // Like INCRBY + EXPIRE NX: an existing counter keeps its expiry.
  const incr = (key: string, ttlMs: number, by = 1) => {
    const entry = read(key);
    const next = Number(entry?.value ?? 0) + by;
    if (!Number.isSafeInteger(next)) throw new Error(`value at ${key} is not an integer`);
    write(key, String(next), entry?.expiresAt ?? Date.now() + ttlMs);
    return next;
  };
  const store: Store = {
    get: (key) => Promise.resolve(read(key)?.value),
    set: (key, value, ttl) => Promise.resolve(write(key, value, Date.now() + ttl * 1000)),
    del: (keys) => Promise.resolve(keys.forEach((key) => entries.delete(key))),
    incr: (key, ttl) => Promise.resolve().then(() => incr(key, ttl * 1000)),
    ping: () => Promise.resolve(),
  };
  return {
    cache: cacheOver(store, prefix),
    // The same sliding-window approximation (and key layout) as
    // Ratelimit.slidingWindow, so dev behaves like production. Synchronous,
    // hence atomic: concurrent checks cannot both take the last slot.
    limiter: (name, { limit, windowSeconds }) => ({
      check(identifier, cost = 1) {
        const windowMs = windowSeconds * 1000;
        const now = Date.now();
        const window = Math.floor(now / windowMs);
        const key = `${prefix}rl:${name}:${identifier}:`;
        const previous = Number(read(key + (window - 1))?.value ?? 0);
        const weightedPrevious = Math.floor((1 - (now % windowMs) / windowMs) * previous);
        const used = weightedPrevious + Number(read(key + window)?.value ?? 0);
        const resetAt = (window + 1) * windowMs;
        if (used + cost > limit) {
          return Promise.resolve(limitResult(false, limit, limit - used, resetAt));
        }
        incr(key + window, 2 * windowMs + 1000, cost);
        return Promise.resolve(limitResult(true, limit, limit - used - cost, resetAt));
      },
    }),
  };
}

// The Upstash SDKs load on first use, not at boot: they are a large share of a
// function's cold start, and many requests (a preflight, a health check) never
// touch the cache.
let upstashSdks: Promise<[typeof import("@upstash/redis"), typeof import("@upstash/ratelimit")]>;
const loadUpstashSdks = () =>
  upstashSdks ??= Promise.all([import("@upstash/redis"), import("@upstash/ratelimit")]);

function upstashBackend(url: string, token: string, prefix: string, timeoutMs: number): Backend {
  let client: Promise<Redis> | undefined;
  const redisClient = () =>
    client ??= loadUpstashSdks().then(([{ Redis }]) =>
      new Redis({
        url,
        token,
        enableTelemetry: false,
        // We store JSON text ourselves; the SDK's guessing would turn "123" into 123.
        automaticDeserialization: false,
        // A dead Upstash must fail in one timeout, not after the SDK's 5 backed-off retries.
        retry: { retries: 0 },
        // A function, not a signal: the SDK turns an aborted *static* signal into a
        // fake successful reply, while a fresh signal per request makes it throw.
        signal: () => AbortSignal.timeout(timeoutMs),
      })
    );
  const store: Store = {
    get: async (key) => (await redisClient()).get<string>(key),
    set: async (key, value, ttl) => void await (await redisClient()).set(key, value, { ex: ttl }),
    del: async (keys) => void await (await redisClient()).del(...keys),
    // One transaction, so a crash between the two can't leave a counter that never expires.
    incr: async (key, ttl) => {
      const redis = await redisClient();
      const [count] = await redis.multi().incr(key).expire(key, ttl, "NX").exec<[number, number]>();
      return count;
    },
    ping: async () => void await (await redisClient()).ping(),
  };
  return {
    cache: cacheOver(store, prefix),
    limiter: (name, { limit, windowSeconds }) => {
      let limiter: Promise<Ratelimit> | undefined;
      const ratelimit = () =>
        limiter ??= Promise.all([loadUpstashSdks(), redisClient()]).then((
          [[, { Ratelimit }], redis],
        ) =>
          new Ratelimit({
            redis,
            limiter: Ratelimit.slidingWindow(limit, `${windowSeconds} s`),
            prefix: `${prefix}rl:${name}`,
            analytics: false,
            enableTelemetry: false,
            // EVALSHA may answer NOSCRIPT and be retried as EVAL: two requests.
            timeout: 2 * timeoutMs + 100,
          })
        );
      return {
        async check(identifier, cost = 1) {
          try {
            const res = await (await ratelimit()).limit(identifier, { rate: cost });
            // On its own timeout the SDK resolves "success" with limit 0: fail open, but say so.
            if (res.reason === "timeout") throw new Error("timed out");
            return limitResult(res.success, res.limit, res.remaining, res.reset);
          } catch (error) {
            warn("rate limit failed; allowing", { limiter: name, error: describe(error) });
            return limitResult(true, limit, limit, 0);
          }
        },
      };
    },
  };
}

function createBackend(opts: CacheOptions): Backend {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  if (!opts.url) return memoryBackend(prefix);
  if (!opts.token) throw new Error("UPSTASH_REDIS_REST_URL is set but the token is not");
  return upstashBackend(opts.url, opts.token, prefix, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
}

let singleton: Backend | undefined;

function backend(): Backend {
  if (singleton) return singleton;
  const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = config();
  if (!url) warn("UPSTASH_REDIS_REST_URL is not set: cache and rate limits are in-process only");
  return singleton = createBackend({ url, token });
}

/** The process-wide cache, on Upstash when configured, in-process otherwise. */
export function cache(): Cache {
  return backend().cache;
}

/** A standalone cache, for tests: in-process unless `url` is given. */
export function createCache(opts: CacheOptions): Cache {
  return createBackend(opts).cache;
}

/** Swaps the singleton; without options the next use re-reads config. */
export function resetCacheForTests(opts?: CacheOptions): void {
  singleton = opts ? createBackend(opts) : undefined;
}

/** Read-through cache on the singleton; a failing cache only costs a call to `load`. */
export async function cached<T>(key: string, ttlSeconds: number, load: () => Promise<T>) {
  let store: Cache;
  try {
    store = cache();
  } catch (error) { // misconfiguration: still serve, loudly
    warn("cache unavailable; loading directly", { key, error: describe(error) });
    return await load();
  }
  const hit = await store.get<T>(key);
  if (hit !== undefined) return hit;
  const value = await load();
  // undefined would come back as null, which callers would take for a value.
  if (value !== undefined) await store.set(key, value, ttlSeconds);
  return value;
}

function assertLimitOptions(name: string, { limit, windowSeconds }: RateLimitOptions): void {
  if ([limit, windowSeconds].every((n) => Number.isSafeInteger(n) && n > 0)) return;
  throw new RangeError(`rate limiter ${name}: limit and windowSeconds must be positive integers`);
}

/**
 * A named sliding-window limiter on the singleton backend. Resolved per
 * call, so limiters created at import time follow resetCacheForTests.
 */
export function rateLimiter(name: string, opts: RateLimitOptions): RateLimiter {
  assertLimitOptions(name, opts);
  const byBackend = new WeakMap<Backend, RateLimiter>();
  const shared: RateLimiter = {
    check(identifier, cost) {
      const current = backend();
      let limiter = byBackend.get(current);
      if (!limiter) byBackend.set(current, limiter = current.limiter(name, opts));
      return limiter.check(identifier, cost);
    },
  };
  return (opts.reserve ?? 1) > 1 ? withLocalReservations(shared, opts) : shared;
}

/** A limiter on its own backend, for tests. */
export function createRateLimiter(cacheOpts: CacheOptions, name: string, opts: RateLimitOptions) {
  assertLimitOptions(name, opts);
  return createBackend(cacheOpts).limiter(name, opts);
}
