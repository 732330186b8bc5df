/**
 * What both cache backends share: the public shapes, the raw store a backend
 * provides, and the layer that makes every store fail open with a log line.
 */
import { log } from "../log.ts";
import { type CircuitBreaker, CircuitOpenError } from "../circuit_breaker.ts";

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
  /** Set when the store could not be asked and the limiter fails closed. */
  unavailable?: boolean;
  limit: number;
  remaining: number;
  retryAfterSeconds: number;
}

export type RateLimitOptions = {
  limit: number;
  windowSeconds: number;
  /**
   * Tokens an instance takes from the shared limiter at once and spends
   * locally (default 1: every check asks Redis). See rate_reserve.ts.
   */
  reserve?: number;
  /**
   * What happens when the shared store (Upstash) cannot be asked: fail open
   * (allow; the default, for availability) or closed (refuse with 503, for
   * limits that protect the database or the CPU).
   */
  onStoreFailure?: "open" | "closed";
};
export type RateLimiter = {
  /** `cost` tokens at once (default 1); allowed only when all of them fit. */
  check(identifier: string, cost?: number): Promise<RateLimitResult>;
};

export const warn = log.warn;

export function describe(error: unknown): string {
  // The SDK's messages echo the whole command, values included: keep logs short.
  return String(error instanceof Error ? error.message : error).slice(0, 200);
}

export interface Store {
  get(key: string): Promise<string | null | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(keys: string[]): Promise<void>;
  incr(key: string, ttlSeconds: number): Promise<number>;
  ping(): Promise<void>;
}

/** A cache and the limiters that share its connection (or its in-process Map). */
export type Backend = {
  cache: Cache;
  limiter(name: string, opts: RateLimitOptions): RateLimiter;
  /** The breaker in front of a remote backend (none in-process). */
  breaker?: CircuitBreaker;
};

/** An open circuit is logged once, when it opens; each refused call is not news. */
export const quiet = (error: unknown) => error instanceof CircuitOpenError;

export async function failOpen<T>(op: string, key: string, run: () => Promise<T>) {
  try {
    return await run();
  } catch (error) {
    if (!quiet(error)) {
      warn("cache operation failed; continuing without cache", { op, key, error: describe(error) });
    }
    return undefined;
  }
}

export function wholeSeconds(ttl: number): number {
  if (ttl > 0 && Number.isFinite(ttl)) return Math.ceil(ttl);
  throw new RangeError(`ttlSeconds must be a positive number, got ${ttl}`);
}

/**
 * Values are stored as JSON text by both backends so they round-trip the
 * same way (a string "123" stays a string, Dates become strings) whichever
 * backend a test or deployment runs on.
 */
export function cacheOver(store: Store, prefix: string): Cache {
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
        if (!quiet(error)) warn("cache ping failed", { error: describe(error) });
        return false;
      }),
  };
}

export function limitResult(allowed: boolean, limit: number, remaining: number, resetAt: number) {
  const retryAfterSeconds = allowed ? 0 : Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
  return { allowed, limit, remaining: Math.max(0, remaining), retryAfterSeconds };
}
