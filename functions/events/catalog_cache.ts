/**
 * Read-through caching of the public catalog (list pages and event details).
 *
 * Every cached entry's key carries the catalog generation, a counter that
 * every write bumps after its transaction commits. A bump makes all older
 * entries unreachable at once (no SCAN, no key bookkeeping), and a reader that
 * loaded pre-commit data can only store it under the old generation, which
 * nobody reads any more. Writes are rare (admins), reads are many.
 */
import { cache, cached } from "../../shared/cache.ts";

/** Availability on the detail page may be at most this stale (holds and sales change it). */
export const DETAIL_TTL_SECONDS = 3;
export const LIST_TTL_SECONDS = 10;
const GENERATION_KEY = "events:catalog:gen";
// Far longer than any entry's TTL: when the counter expires and restarts, every
// entry stored under a reused generation number has long expired.
const GENERATION_TTL_SECONDS = 7 * 24 * 3600;

async function generation(): Promise<number> {
  try {
    return (await cache().get<number>(GENERATION_KEY)) ?? 0;
  } catch {
    return 0; // misconfigured cache: cached() falls through to the database anyway
  }
}

/** `load()` through the cache under the current generation. */
export async function cachedCatalog<T>(
  kind: "list" | "detail",
  key: string,
  load: () => Promise<T>,
): Promise<T> {
  const gen = await generation();
  const ttl = kind === "detail" ? DETAIL_TTL_SECONDS : LIST_TTL_SECONDS;
  return await cached(`events:catalog:g${gen}:${kind}:${key}`, ttl, load);
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
}
