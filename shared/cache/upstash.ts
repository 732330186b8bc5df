/** The Upstash backend: @upstash/redis for the cache, @upstash/ratelimit for limits. */
import type { Redis } from "@upstash/redis";
import type { Ratelimit } from "@upstash/ratelimit";
import { type Backend, cacheOver, describe, limitResult, type Store, warn } from "./backend.ts";

// The Upstash SDKs load on first use, not at boot: they are a large share of a
// function's cold start, and many requests (a preflight, a health check) never
// touch the cache.
let upstashSdks: Promise<[typeof import("@upstash/redis"), typeof import("@upstash/ratelimit")]>;
const loadUpstashSdks = () =>
  upstashSdks ??= Promise.all([import("@upstash/redis"), import("@upstash/ratelimit")]);

export function upstashBackend(
  url: string,
  token: string,
  prefix: string,
  timeoutMs: number,
): Backend {
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
    limiter: (name, { limit, windowSeconds, onStoreFailure = "open" }) => {
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
            const open = onStoreFailure === "open";
            warn(`rate limit failed; ${open ? "allowing" : "refusing"}`, {
              limiter: name,
              error: describe(error),
            });
            return open
              ? limitResult(true, limit, limit, 0)
              : { ...limitResult(false, limit, 0, Date.now() + 5000), unavailable: true };
          }
        },
      };
    },
  };
}
