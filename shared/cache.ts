/**
 * Short-lived caches and rate limits on Upstash Redis, in-process when
 * UPSTASH_REDIS_REST_URL is unset. Redis is never the authority (capacity and
 * check-ins live in Postgres), so an Upstash failure degrades instead of
 * failing the request: reads miss, writes drop, limits fail open, all logged.
 */
import { config } from "./config.ts";
import { DomainError } from "./errors.ts";
import { withLocalReservations } from "./rate_reserve.ts";
import {
  type Backend,
  type Cache,
  describe,
  type RateLimiter,
  type RateLimitOptions,
  warn,
} from "./cache/backend.ts";
import { memoryBackend } from "./cache/memory.ts";
import { upstashBackend, upstashBreaker } from "./cache/upstash.ts";
import type { BreakerState } from "./circuit_breaker.ts";

export type { Cache, RateLimiter, RateLimitOptions, RateLimitResult } from "./cache/backend.ts";

export interface CacheOptions {
  url?: string;
  token?: string;
  /** Prepended to every key so environments and parallel test runs never collide. */
  prefix?: string;
  /** Per-request deadline; a slow Upstash must not hold a request longer than this. */
  timeoutMs?: number;
  /** How long the Upstash circuit stays open (default UPSTASH_BREAKER.cooldownMs). */
  breakerCooldownMs?: number;
}

const DEFAULT_PREFIX = "crodify:";
const DEFAULT_TIMEOUT_MS = 1000;

function createBackend(opts: CacheOptions): Backend {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  if (!opts.url) return memoryBackend(prefix);
  if (!opts.token) throw new Error("UPSTASH_REDIS_REST_URL is set but the token is not");
  return upstashBackend(
    opts.url,
    opts.token,
    prefix,
    opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    upstashBreaker(opts.breakerCooldownMs),
  );
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

/**
 * The state of the circuit in front of Upstash (readiness shows it), or
 * undefined for the in-process backend, which cannot fail.
 */
export function cacheBreakerState(): BreakerState | undefined {
  return backend().breaker?.state;
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

/**
 * Spends one token of `limiter` for `identifier`, or throws: 429
 * `rate_limited` (with Retry-After) when over the limit, 503
 * `unavailable` when the store is down and the limiter fails closed.
 */
export async function enforceRateLimit(
  limiter: RateLimiter,
  identifier: string,
  message = "Too many requests",
): Promise<void> {
  const verdict = await limiter.check(identifier);
  if (verdict.allowed) return;
  const details = { retry_after_seconds: verdict.retryAfterSeconds };
  if (verdict.unavailable) {
    throw new DomainError(
      "unavailable",
      "Rate limiting is unavailable; retry shortly",
      details,
    );
  }
  throw new DomainError("rate_limited", message, details);
}
