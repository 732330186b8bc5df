/**
 * Read-through caching of the public catalog (list pages and event details).
 *
 * Every cached entry's key carries the catalog generation, a counter that
 * every write bumps after its transaction commits. A bump makes all older
 * entries unreachable at once (no SCAN, no key bookkeeping), and a reader that
 * loaded pre-commit data can only store it under the old generation, which
 * nobody reads any more. Writes are rare (admins), reads are many.
 *
 * In front of Redis each instance keeps what it read for LOCAL_TTL_MS (the
 * generation too), so a hot page costs no network call at all; a write clears
 * its own instance's copies at once and other instances see it within
 * LOCAL_TTL_MS. Redis TTLs are shortened by as much, so the staleness bounds
 * below hold end to end.
 */
import { type Cache, cache, cached } from "../../shared/cache/mod.ts";

/** Availability on the detail page may be at most this stale (holds and sales change it). */
export const DETAIL_TTL_SECONDS = 3;
export const LIST_TTL_SECONDS = 10;
export const LOCAL_TTL_MS = 1000;
const LOCAL_MAX_ENTRIES = 1000;
const GENERATION_KEY = "events:catalog:gen";
// Far longer than any entry's TTL: when the counter expires and restarts, every
// entry stored under a reused generation number has long expired.
const GENERATION_TTL_SECONDS = 7 * 24 * 3600;

type Local = Map<string, { value: Promise<unknown>; expiresAt: number }>;
// Per cache backend, so a swapped backend (tests) starts with nothing local.
let locals = new WeakMap<Cache, Local>();

function localStore(): Local | undefined {
  try {
    const backend = cache();
    let local = locals.get(backend);
    if (!local) locals.set(backend, local = new Map());
    return local;
  } catch {
    return undefined; // misconfigured cache: no caching at all
  }
}

/**
 * The value kept locally under `key`, loaded on a miss. The promise is kept,
 * so concurrent misses of one key share a single load (no stampede on Redis
 * or Postgres when a hot entry expires); a failed load is forgotten.
 */
function throughLocal<T>(key: string, load: () => Promise<T>): Promise<T> {
  const local = localStore();
  const hit = local?.get(key);
  if (hit && hit.expiresAt > Date.now()) return hit.value as Promise<T>;
  const value = load();
  if (local) {
    local.delete(key);
    if (local.size >= LOCAL_MAX_ENTRIES) local.delete(local.keys().next().value!);
    local.set(key, { value, expiresAt: Date.now() + LOCAL_TTL_MS });
    value.catch(() => local.get(key)?.value === value && local.delete(key));
  }
  return value;
}

function generation(): Promise<number> {
  return throughLocal(GENERATION_KEY, async () => {
    try {
      return (await cache().get<number>(GENERATION_KEY)) ?? 0;
    } catch {
      return 0; // misconfigured cache: cached() falls through to the database anyway
    }
  });
}

/** `load()` through the local copy and Redis, under the current generation. */
export async function cachedCatalog<T>(
  kind: "list" | "detail",
  key: string,
  load: () => Promise<T>,
): Promise<T> {
  const gen = await generation();
  const ttl = (kind === "detail" ? DETAIL_TTL_SECONDS : LIST_TTL_SECONDS) - LOCAL_TTL_MS / 1000;
  const fullKey = `events:catalog:g${gen}:${kind}:${key}`;
  return await throughLocal(fullKey, () => cached(fullKey, ttl, load));
}

/**
 * Makes every cached list and detail stale; call after a write commits. If
 * Redis is down the bump is lost and entries expire by TTL instead.
 */
export async function invalidateCatalog(): Promise<void> {
  try {
    await cache().incr(GENERATION_KEY, GENERATION_TTL_SECONDS);
  } catch {
    // cache() itself failed (misconfiguration): there is nothing cached to invalidate.
  }
  // After the bump, so a read racing it cannot keep the old generation here.
  locals = new WeakMap();
}
