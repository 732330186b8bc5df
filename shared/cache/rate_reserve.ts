/**
 * Spending rate-limit tokens locally. A busy door scans hundreds of times a
 * minute per device, and asking Upstash on every scan costs a network round
 * trip per scan. Instead an instance takes `reserve` tokens from the shared
 * limiter at once and spends them in-process. The shared count never lets
 * more than `limit` through in a window; the price is that tokens one
 * instance holds are unavailable to others, so a device may be refused a
 * little early when it hops between instances near its limit.
 */
import type { RateLimiter, RateLimitOptions, RateLimitResult } from "./backend.ts";

interface Bucket {
  tokens: number;
  /** Reserved tokens are spent within a slice of the window, never in a later window. */
  spendBefore: number;
}

// Bounded: one entry per active identifier (device); the oldest goes first.
const MAX_BUCKETS = 10_000;

export function withLocalReservations(shared: RateLimiter, opts: RateLimitOptions): RateLimiter {
  const reserve = opts.reserve ?? 1;
  const sliceMs = (opts.windowSeconds * 1000) / 10;
  const buckets = new Map<string, Bucket>();
  const spend = (bucket: Bucket): RateLimitResult => {
    bucket.tokens--;
    return { allowed: true, limit: opts.limit, remaining: bucket.tokens, retryAfterSeconds: 0 };
  };
  return {
    async check(identifier, cost = 1) {
      if (cost !== 1) return await shared.check(identifier, cost);
      const held = buckets.get(identifier);
      if (held && held.tokens > 0 && Date.now() < held.spendBefore) return spend(held);
      buckets.delete(identifier);
      const batch = await shared.check(identifier, reserve);
      // Fewer than `reserve` left in this window: one token at a time from here.
      if (!batch.allowed) return await shared.check(identifier, 1);
      const bucket = { tokens: reserve, spendBefore: Date.now() + sliceMs };
      buckets.set(identifier, bucket);
      if (buckets.size > MAX_BUCKETS) buckets.delete(buckets.keys().next().value!);
      return spend(bucket);
    },
  };
}
