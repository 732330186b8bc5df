/**
 * Short-lived caches and rate limits on Upstash Redis, in-process when
 * UPSTASH_REDIS_REST_URL is unset. Redis is never the authority (capacity and
 * check-ins live in Postgres), so an Upstash failure degrades instead of
 * failing the request: reads miss, writes drop, limits fail open, all logged.
 *
 * The public face of shared/cache: nothing outside shared/cache imports its
 * other files (tests take createCache/resetCacheForTests from instance.ts).
 */
import { DomainError } from "../errors.ts";
import type { BreakerState } from "../circuit_breaker.ts";
import { withLocalReservations } from "./rate_reserve.ts";
import {
  type Backend,
  type Cache,
  describe,
  type RateLimiter,
  type RateLimitOptions,
  warn,
} from "./backend.ts";
import { assertLimitOptions, backend } from "./instance.ts";

export type { Cache, RateLimiter, RateLimitOptions, RateLimitResult } from "./backend.ts";

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
