/** The Upstash backend: @upstash/redis for the cache, @upstash/ratelimit for limits. */
import type { Redis } from "@upstash/redis";
import type { Ratelimit } from "@upstash/ratelimit";
import { CircuitBreaker } from "../circuit_breaker.ts";
import {
  type Backend,
  cacheOver,
  describe,
  limitResult,
  quiet,
  type Store,
  warn,
} from "./backend.ts";

/**
 * Consecutive failures (errors or timeouts) that open the Upstash circuit, and
 * how long it then stays open: a hung Upstash costs a few timeouts per 5 s
 * window per isolate, not one per request. Redis is never the authority, so
 * while open the cache misses and the limits fail open at once.
 */
export const UPSTASH_BREAKER = { failureThreshold: 3, cooldownMs: 5_000 };

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
  breaker: CircuitBreaker,
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
  const guarded = <T>(fn: (redis: Redis) => Promise<T>) =>
    breaker.run(async () => fn(await redisClient()));
  const store: Store = {
    get: (key) => guarded((redis) => redis.get<string>(key)),
    set: (key, value, ttl) =>
      guarded(async (redis) => void await redis.set(key, value, { ex: ttl })),
    del: (keys) => guarded(async (redis) => void await redis.del(...keys)),
    // One transaction, so a crash between the two can't leave a counter that never expires.
    incr: (key, ttl) =>
      guarded(async (redis) => {
        const [count] = await redis.multi().incr(key).expire(key, ttl, "NX")
          .exec<[number, number]>();
        return count;
      }),
    ping: () => guarded(async (redis) => void await redis.ping()),
  };
  return {
    breaker,
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
            const res = await breaker.run(async () => {
              const res = await (await ratelimit()).limit(identifier, { rate: cost });
              // On its own timeout the SDK resolves "success" with limit 0: fail open, but say so.
              if (res.reason === "timeout") throw new Error("timed out");
              return res;
            });
            return limitResult(res.success, res.limit, res.remaining, res.reset);
          } catch (error) {
            const open = onStoreFailure === "open";
            if (!quiet(error)) {
              warn(`rate limit failed; ${open ? "allowing" : "refusing"}`, {
                limiter: name,
                error: describe(error),
              });
            }
            return open
              ? limitResult(true, limit, limit, 0)
              : { ...limitResult(false, limit, 0, Date.now() + 5000), unavailable: true };
          }
        },
      };
    },
  };
}

/** A breaker for one Upstash backend; its state changes are logged once each. */
export function upstashBreaker(cooldownMs = UPSTASH_BREAKER.cooldownMs): CircuitBreaker {
  return new CircuitBreaker({
    name: "upstash",
    ...UPSTASH_BREAKER,
    cooldownMs,
    onStateChange: (from, to, name) => warn("circuit breaker", { breaker: name, from, to }),
  });
}
