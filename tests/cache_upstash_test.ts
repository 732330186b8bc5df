/**
 * shared/cache against the real @upstash/redis and @upstash/ratelimit SDKs,
 * through tests/support/upstash_proxy.ts over the real redis-server.
 */
import assert from "node:assert/strict";
import { cached } from "../shared/cache/mod.ts";
import {
  type CacheOptions,
  createCache,
  createRateLimiter,
  resetCacheForTests,
} from "../shared/cache/instance.ts";
import { startUpstashProxy, type UpstashProxy } from "./support/upstash_proxy.ts";
import { RespConnection } from "./support/resp.ts";
import { captureLogs } from "../shared/log.ts";
import { REDIS_URL, redisTest } from "./support/services.ts";

/**
 * Runs `fn` against a fresh proxy and a key prefix no other run shares. The timeout is
 * generous unless a test is about timeouts: on a loaded machine a burst of calls that
 * time out would open the Upstash circuit breaker and fail the rest of the burst.
 */
async function withProxy(
  fn: (proxy: UpstashProxy, opts: CacheOptions & { prefix: string }) => Promise<void>,
  timeoutMs = 3000,
): Promise<void> {
  const proxy = await startUpstashProxy({ redisUrl: REDIS_URL!, token: crypto.randomUUID() });
  const prefix = `test:${crypto.randomUUID()}:`;
  try {
    await fn(proxy, { url: proxy.url, token: proxy.token, prefix, timeoutMs });
  } finally {
    await proxy.close();
    await deleteKeys(`${prefix}*`);
  }
}

/** Asks redis-server directly, to check what the SDK really stored. */
async function redis(...command: string[]) {
  const connection = await RespConnection.open(REDIS_URL!);
  try {
    const [reply] = await connection.send([command]);
    return reply instanceof Uint8Array ? new TextDecoder().decode(reply) : reply;
  } finally {
    connection.close();
  }
}

async function deleteKeys(pattern: string): Promise<void> {
  const keys = await redis("KEYS", pattern) as Uint8Array[];
  if (keys.length > 0) await redis("DEL", ...keys.map((k) => new TextDecoder().decode(k)));
}

async function silently<T>(fn: () => Promise<T>): Promise<{ value: T; warnings: number }> {
  const { value, records } = await captureLogs(fn);
  return { value, warnings: records.filter((record) => record.level === "warn").length };
}

redisTest("upstash cache: set/get/del with prefix, JSON text and TTL in Redis", async () => {
  await withProxy(async (_proxy, opts) => {
    const store = createCache(opts);
    const event = { id: "e1", name: "Rock en el parque", capacity: 500 };
    await store.set("event:e1", event, 60);
    await store.set("digits", "123", 60);

    assert.deepEqual(await store.get("event:e1"), event);
    assert.equal(await store.get("digits"), "123");
    assert.equal(await store.get("missing"), undefined);
    assert.equal(await redis("GET", `${opts.prefix}event:e1`), JSON.stringify(event));
    const ttl = await redis("TTL", `${opts.prefix}event:e1`) as number;
    assert.ok(ttl > 0 && ttl <= 60, `ttl ${ttl}`);

    await store.del("event:e1", "digits");
    assert.equal(await store.get("event:e1"), undefined);
    assert.equal(await redis("EXISTS", `${opts.prefix}digits`), 0);
    assert.equal(await store.ping(), true);
  });
});

redisTest("upstash cache: incr counts atomically and sets the TTL only once", async () => {
  await withProxy(async (proxy, opts) => {
    const store = createCache(opts);
    assert.equal(await store.incr("hits", 100), 1);
    await redis("EXPIRE", `${opts.prefix}hits`, "30");
    assert.equal(await store.incr("hits", 100), 2);
    const ttl = await redis("TTL", `${opts.prefix}hits`) as number;
    assert.ok(ttl > 0 && ttl <= 30, `incr must not extend an existing TTL, got ${ttl}`);
    assert.ok(proxy.requests.some((r) => r.path === "/multi-exec"));

    const counts = await Promise.all(Array.from({ length: 20 }, () => store.incr("burst", 60)));
    assert.deepEqual(
      counts.toSorted((a, b) => a! - b!),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });
});

redisTest("upstash cache: concurrent commands travel as one pipeline", async () => {
  await withProxy(async (proxy, opts) => {
    const store = createCache(opts);
    await Promise.all(["a", "b", "c"].map((k, i) => store.set(k, i, 60)));
    const values = await Promise.all(["a", "b", "c", "zz"].map((k) => store.get(k)));
    assert.deepEqual(values, [0, 1, 2, undefined]);
    const pipelines = proxy.requests.filter((r) => r.path === "/pipeline");
    assert.ok(pipelines.some((r) => r.commands.length === 4), "the four GETs share one request");
  });
});

redisTest("upstash cache: base64 response encoding round-trips non-ASCII text", async () => {
  await withProxy(async (proxy, opts) => {
    const store = createCache(opts);
    const text = "Entrada VIP — São Paulo ✓ 🎟️ \u0000 end";
    await store.set("unicode", text, 60);
    assert.equal(await store.get("unicode"), text);
    assert.ok(proxy.requests.every((r) => r.base64), "the SDK asks for base64 by default");

    // The wire format itself, as Upstash sends it.
    const post = (body: unknown, base64: boolean) =>
      fetch(proxy.url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${proxy.token}`,
          ...(base64 ? { "Upstash-Encoding": "base64" } : {}),
        },
        body: JSON.stringify(body),
      }).then((res) => res.json());
    const key = `${opts.prefix}unicode`;
    const json = JSON.stringify(text);
    assert.deepEqual(await post(["GET", key], true), {
      result: new TextEncoder().encode(json).toBase64(),
    });
    assert.deepEqual(await post(["GET", key], false), { result: json });
    assert.deepEqual(await post(["SET", `${opts.prefix}x`, "1"], true), { result: "OK" });
    assert.deepEqual(await post(["PING"], true), { result: btoa("PONG") });
  });
});

redisTest("upstash proxy: rejects a wrong token with 401, and the cache degrades", async () => {
  await withProxy(async (proxy, opts) => {
    const res = await fetch(proxy.url, {
      method: "POST",
      headers: { authorization: "Bearer wrong" },
      body: JSON.stringify(["PING"]),
    });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: "Unauthorized" });

    const store = createCache({ ...opts, token: "wrong" });
    const { value, warnings } = await silently(async () => [
      await store.ping(),
      await store.get("k"),
    ]);
    assert.deepEqual(value, [false, undefined]);
    assert.equal(warnings, 2);
  });
});

redisTest("upstash ratelimit: sliding window allows `limit`, then denies", async () => {
  await withProxy(async (proxy, opts) => {
    // A long window so the test never straddles a window boundary.
    const limits = { limit: 3, windowSeconds: 3600 };
    const limiter = createRateLimiter(opts, "purchases", limits);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await limiter.check("user-1"));

    assert.deepEqual(results.map((r) => [r.allowed, r.remaining]), [
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    assert.equal(results[3].limit, 3);
    assert.ok(results[3].retryAfterSeconds > 0 && results[3].retryAfterSeconds <= 3600);

    // The count lives in Redis under crodify-style keys, not in the SDK's memory:
    // a new limiter (empty ephemeral cache) sees it through EVALSHA of the mapped script.
    const window = Math.floor(Date.now() / 3_600_000);
    assert.equal(await redis("GET", `${opts.prefix}rl:purchases:user-1:${window}`), "3");
    const again = await createRateLimiter(opts, "purchases", limits).check("user-1");
    assert.equal(again.allowed, false);
    assert.equal((await limiter.check("user-2")).allowed, true);
    // Only the first call pays for NOSCRIPT + EVAL; later EVALSHAs hit the proxy's SHA map.
    const evals = proxy.requests.flatMap((r) => r.commands).filter((c) => /^eval$/i.test(c[0]));
    assert.equal(evals.length, 1);
  });
});

redisTest("upstash ratelimit: many concurrent checks admit exactly `limit`", async () => {
  await withProxy(async (_proxy, opts) => {
    const limiter = createRateLimiter(opts, "scans", { limit: 5, windowSeconds: 3600 });
    const results = await Promise.all(Array.from({ length: 30 }, () => limiter.check("scanner")));
    assert.equal(results.filter((r) => r.allowed).length, 5);
  });
});

redisTest("upstash down: cached() loads, rate limits fail open, ping is false fast", async () => {
  await withProxy(async (proxy, opts) => {
    resetCacheForTests(opts);
    const limiter = createRateLimiter(opts, "webhook", { limit: 1, windowSeconds: 3600 });
    assert.equal((await limiter.check("mp")).allowed, true);
    assert.equal((await limiter.check("mp")).allowed, false);
    let loads = 0;
    const load = () => Promise.resolve({ n: ++loads });
    assert.deepEqual(await cached("events", 60, load), { n: 1 });

    for (const mode of ["error", "hang"] as const) {
      proxy.failWith(mode);
      const fresh = createRateLimiter(opts, "webhook", { limit: 1, windowSeconds: 3600 });
      const started = Date.now();
      const { value, warnings } = await silently(async () => ({
        loaded: await cached("events", 60, load),
        allowed: (await fresh.check("mp")).allowed,
        ping: await createCache(opts).ping(),
      }));
      assert.deepEqual(value, { loaded: { n: loads }, allowed: true, ping: false }, mode);
      assert.ok(warnings >= 3, `${mode}: every degradation is logged`);
      assert.ok(Date.now() - started < 3000, `${mode}: took ${Date.now() - started}ms`);
    }
    assert.equal(loads, 3);

    await proxy.close();
    const started = Date.now();
    const { value } = await silently(async () => ({
      loaded: await cached("events", 60, load),
      allowed: (await createRateLimiter(opts, "webhook", { limit: 1, windowSeconds: 3600 })
        .check("mp")).allowed,
      ping: await createCache(opts).ping(),
    }));
    assert.deepEqual(value, { loaded: { n: 4 }, allowed: true, ping: false });
    assert.ok(Date.now() - started < 1000, `closed proxy took ${Date.now() - started}ms`);
    resetCacheForTests();
  }, 500);
});
