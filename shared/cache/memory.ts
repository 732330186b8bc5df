/** The in-process backend: used when Upstash is not configured (local runs, some tests). */
import { type Backend, cacheOver, limitResult, type Store } from "./backend.ts";

const MAX_MEMORY_ENTRIES = 10_000;

/**
 * In-process backend: a Map with lazy expiry that evicts expired, then oldest
 * written, entries past a cap (it is a cache: evicting early is only a miss).
 */
export function memoryBackend(prefix: string): Backend {
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
