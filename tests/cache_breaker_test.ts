/**
 * The circuit breaker in front of Upstash: with Upstash accepting connections
 * but never answering, the first few calls each wait their timeout, then the
 * circuit opens and every call fails open at once (cache miss, limit allows)
 * until the cooldown; one probe then closes it again once Upstash answers.
 */
import assert from "node:assert/strict";
import { createCache, createRateLimiter } from "../shared/cache/instance.ts";
import { UPSTASH_BREAKER } from "../shared/cache/upstash.ts";
import { captureLogs } from "../shared/log.ts";
import { startUpstashProxy } from "./support/upstash_proxy.ts";
import { REDIS_URL, redisTest } from "./support/services.ts";

const TIMEOUT_MS = 500;
const COOLDOWN_MS = 1_000;

/** An Upstash proxy and cache options with a short timeout and the given breaker window. */
async function proxyWithBreaker(breakerCooldownMs: number) {
  const proxy = await startUpstashProxy({ redisUrl: REDIS_URL!, token: crypto.randomUUID() });
  const opts = {
    url: proxy.url,
    token: proxy.token,
    prefix: `test:${crypto.randomUUID()}:`,
    timeoutMs: TIMEOUT_MS,
    breakerCooldownMs,
  };
  return { proxy, opts };
}

redisTest("a hung Upstash costs a few timeouts per breaker window, not one per call", async () => {
  const { proxy, opts } = await proxyWithBreaker(COOLDOWN_MS);
  try {
    const store = createCache(opts);
    await store.set("k", "v", 60);
    proxy.failWith("hang");
    const { value: waits, records } = await captureLogs(async () => {
      const waits: number[] = [];
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        assert.equal(await store.get("k"), undefined);
        waits.push(performance.now() - started);
      }
      return waits;
    });
    const slow = waits.filter((ms) => ms >= TIMEOUT_MS * 0.8).length;
    // At most `failureThreshold` calls wait (fewer if a slow warm-up call already counted).
    assert.ok(slow >= 1 && slow <= UPSTASH_BREAKER.failureThreshold, JSON.stringify(waits));
    assert.ok(waits.slice(slow).every((ms) => ms < 50), JSON.stringify(waits.map(Math.round)));
    // One line when the circuit opens, not one per refused call.
    const opened = records.filter((r) => r.msg === "circuit breaker" && r.to === "open");
    assert.equal(opened.length, 1);

    proxy.failWith("none");
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 50));
    assert.equal(await store.get("k"), "v", "the probe closes the circuit");
    assert.equal(await store.get("k"), "v");
  } finally {
    await proxy.close();
  }
});

redisTest("rate limits fail open at once while the Upstash circuit is open", async () => {
  const { proxy, opts } = await proxyWithBreaker(60_000);
  try {
    const limiter = createRateLimiter(opts, "buyers", { limit: 1, windowSeconds: 60 });
    proxy.failWith("hang");
    const started = performance.now();
    const { value: results } = await captureLogs(() =>
      Promise.all(Array.from({ length: 10 }, async () => {
        // Sequential within each caller, as requests of one instance arrive.
        const allowed = [];
        for (let i = 0; i < 5; i++) allowed.push((await limiter.check("u1")).allowed);
        return allowed;
      }))
    );
    const ms = performance.now() - started;
    assert.ok(results.flat().every(Boolean), "fail open");
    // 50 checks: without a breaker ≥ 5 sequential timeouts of 2 × TIMEOUT_MS each.
    assert.ok(ms < 4 * TIMEOUT_MS, `50 checks took ${Math.round(ms)} ms`);
  } finally {
    await proxy.close();
  }
});
