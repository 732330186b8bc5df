/**
 * Choosing and holding the cache backend: Upstash when configured, in-process
 * otherwise; one per process, swappable by tests (which import this file, not
 * the front door, for createCache/createRateLimiter/resetCacheForTests).
 */
import { config } from "../config.ts";
import { type Backend, type Cache, type RateLimitOptions, warn } from "./backend.ts";
import { memoryBackend } from "./memory.ts";
import { upstashBackend, upstashBreaker } from "./upstash.ts";

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

/** The process-wide backend, created on first use from config. */
export function backend(): Backend {
  if (singleton) return singleton;
  const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = config();
  if (!url) warn("UPSTASH_REDIS_REST_URL is not set: cache and rate limits are in-process only");
  return singleton = createBackend({ url, token });
}

/** A standalone cache, for tests: in-process unless `url` is given. */
export function createCache(opts: CacheOptions): Cache {
  return createBackend(opts).cache;
}

/** Swaps the singleton; without options the next use re-reads config. */
export function resetCacheForTests(opts?: CacheOptions): void {
  singleton = opts ? createBackend(opts) : undefined;
}

export function assertLimitOptions(name: string, { limit, windowSeconds }: RateLimitOptions): void {
  if ([limit, windowSeconds].every((n) => Number.isSafeInteger(n) && n > 0)) return;
  throw new RangeError(`rate limiter ${name}: limit and windowSeconds must be positive integers`);
}

/** A limiter on its own backend, for tests. */
export function createRateLimiter(cacheOpts: CacheOptions, name: string, opts: RateLimitOptions) {
  assertLimitOptions(name, opts);
  return createBackend(cacheOpts).limiter(name, opts);
}
