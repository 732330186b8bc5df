/** Rate-limit tokens reserved in batches: in-process and over the real @upstash/ratelimit. */
import assert from "node:assert/strict";
import type { RateLimiter } from "../shared/cache/mod.ts";
import { createRateLimiter } from "../shared/cache/instance.ts";
import { withLocalReservations } from "../shared/cache/rate_reserve.ts";
import { startUpstashProxy } from "./support/upstash_proxy.ts";
import { REDIS_URL, redisTest } from "./support/services.ts";

/** Two instances, each with its own reservations, over one shared limiter. */
async function allowedAcrossInstances(instances: RateLimiter[], attempts: number) {
  let allowed = 0;
  for (let i = 0; i < attempts; i++) {
    if ((await instances[i % instances.length].check("device-1")).allowed) allowed++;
  }
  return allowed;
}

Deno.test("local reservations never let more than the limit through, across instances", async () => {
  const opts = { limit: 100, windowSeconds: 3600, reserve: 10 };
  const shared = createRateLimiter({ prefix: `t:${crypto.randomUUID()}:` }, "door", opts);
  const instances = [withLocalReservations(shared, opts), withLocalReservations(shared, opts)];
  assert.equal(await allowedAcrossInstances(instances, 160), 100);
  const refused = await instances[0].check("device-1");
  assert.equal(refused.allowed, false);
  assert.ok(refused.retryAfterSeconds >= 1);
  assert.equal((await instances[1].check("device-2")).allowed, true, "other devices unaffected");
});

Deno.test("with tokens left, a reservation ends in single tokens instead of refusing early", async () => {
  const opts = { limit: 25, windowSeconds: 3600, reserve: 10 };
  const shared = createRateLimiter({ prefix: `t:${crypto.randomUUID()}:` }, "door", opts);
  const one = withLocalReservations(shared, opts);
  assert.equal(await allowedAcrossInstances([one], 40), 25);
});

redisTest(
  "reserved tokens: exactly the limit across instances, a fraction of the Redis calls",
  async () => {
    const proxy = await startUpstashProxy({ redisUrl: REDIS_URL!, token: crypto.randomUUID() });
    try {
      const opts = { limit: 100, windowSeconds: 3600, reserve: 10 };
      const cacheOpts = { url: proxy.url, token: proxy.token, prefix: `t:${crypto.randomUUID()}:` };
      const shared = createRateLimiter(cacheOpts, "door", opts);
      const instances = [withLocalReservations(shared, opts), withLocalReservations(shared, opts)];
      const before = proxy.requests.length;
      assert.equal(await allowedAcrossInstances(instances, 160), 100);
      const calls = proxy.requests.length - before;
      assert.ok(calls < 40, `${calls} Upstash requests for 160 checks`);
    } finally {
      await proxy.close();
    }
  },
);
