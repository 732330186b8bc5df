import assert from "node:assert/strict";
import { resetConfigForTests } from "../config.ts";
import { cache, cached, rateLimiter } from "./mod.ts";
import { createCache, createRateLimiter, resetCacheForTests } from "./instance.ts";
import { captureLogs } from "../log.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` with console.warn captured; returns the parsed JSON log lines. */
async function capturingWarnings(fn: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const { records } = await captureLogs(fn);
  return records.filter((record) => record.level === "warn");
}

Deno.test("in-process cache round-trips JSON values exactly", async () => {
  const store = createCache({});
  const event = { id: "e1", name: "Rock en el parque", prices: [1500, 2500], soldOut: false };
  await store.set("event:e1", event, 60);
  await store.set("digits", "123", 60);
  await store.set("nothing", null, 60);

  assert.deepEqual(await store.get("event:e1"), event);
  // Stored as JSON text, so a numeric-looking string stays a string (as on Upstash).
  assert.equal(await store.get("digits"), "123");
  assert.equal(await store.get("nothing"), null);
  assert.equal(await store.get("missing"), undefined);
  assert.equal(await store.ping(), true);
});

Deno.test("in-process cache returns copies, not the stored object", async () => {
  const store = createCache({});
  const value = { seats: 3 };
  await store.set("k", value, 60);
  value.seats = 99;
  assert.deepEqual(await store.get("k"), { seats: 3 });
});

Deno.test("in-process cache expires entries after their TTL", async () => {
  const store = createCache({});
  await store.set("short", "v", 1);
  await store.set("long", "v", 60);
  assert.equal(await store.get("short"), "v");
  await sleep(1050);
  assert.equal(await store.get("short"), undefined);
  assert.equal(await store.get("long"), "v");
});

Deno.test("in-process del removes every given key and tolerates none", async () => {
  const store = createCache({});
  await store.set("a", 1, 60);
  await store.set("b", 2, 60);
  await store.set("c", 3, 60);
  await store.del("a", "b");
  await store.del();
  assert.equal(await store.get("a"), undefined);
  assert.equal(await store.get("b"), undefined);
  assert.equal(await store.get("c"), 3);
});

Deno.test("in-process incr counts and keeps the first increment's TTL", async () => {
  const store = createCache({});
  assert.equal(await store.incr("hits", 1), 1);
  await sleep(600);
  // A later increment must not push the expiry back (EXPIRE NX semantics).
  assert.equal(await store.incr("hits", 1), 2);
  await sleep(500);
  assert.equal(await store.incr("hits", 1), 1);
});

Deno.test("in-process cache stays bounded, evicting the oldest writes first", async () => {
  const store = createCache({});
  for (let i = 0; i <= 10_000; i++) await store.set(`k${i}`, i, 60);
  assert.equal(await store.get("k0"), undefined);
  assert.equal(await store.get("k1"), 1);
  assert.equal(await store.get("k10000"), 10_000);
});

Deno.test("invalid TTLs and unserializable values are logged, never thrown", async () => {
  const store = createCache({});
  const logs = await capturingWarnings(async () => {
    await store.set("bad-ttl", "v", 0);
    await store.set("bigint", 10n, 60);
    assert.equal(await store.incr("bad-ttl", -1), undefined);
  });
  assert.equal(await store.get("bad-ttl"), undefined);
  assert.equal(await store.get("bigint"), undefined);
  assert.deepEqual(logs.map((l) => [l.level, l.op, l.key]), [
    ["warn", "set", "bad-ttl"],
    ["warn", "set", "bigint"],
    ["warn", "incr", "bad-ttl"],
  ]);
});

Deno.test("in-process rate limiter allows `limit` calls, then denies with retryAfter", async () => {
  // A long window so the test never straddles a window boundary.
  const limiter = createRateLimiter({}, "purchases", { limit: 3, windowSeconds: 3600 });
  const results = [];
  for (let i = 0; i < 4; i++) results.push(await limiter.check("user-1"));

  assert.deepEqual(results.slice(0, 3).map((r) => [r.allowed, r.remaining]), [
    [true, 2],
    [true, 1],
    [true, 0],
  ]);
  const denied = results[3];
  assert.equal(denied.allowed, false);
  assert.equal(denied.limit, 3);
  assert.equal(denied.remaining, 0);
  assert.ok(denied.retryAfterSeconds >= 1 && denied.retryAfterSeconds <= 3600);
  // Identifiers are independent.
  assert.equal((await limiter.check("user-2")).allowed, true);
});

Deno.test("in-process rate limiter admits exactly `limit` of many concurrent checks", async () => {
  const limiter = createRateLimiter({}, "validations", { limit: 5, windowSeconds: 3600 });
  const results = await Promise.all(Array.from({ length: 40 }, () => limiter.check("scanner-1")));
  assert.equal(results.filter((r) => r.allowed).length, 5);
});

Deno.test("rate limiter options are validated when the limiter is created", () => {
  assert.throws(() => rateLimiter("bad", { limit: 0, windowSeconds: 10 }), RangeError);
  assert.throws(() => rateLimiter("bad", { limit: 5, windowSeconds: 1.5 }), RangeError);
});

Deno.test("singleton without Upstash warns once and serves cached() from memory", async () => {
  resetConfigForTests({ UPSTASH_REDIS_REST_URL: undefined, UPSTASH_REDIS_REST_TOKEN: undefined });
  resetCacheForTests();
  let loads = 0;
  const load = () => Promise.resolve({ n: ++loads });
  const logs = await capturingWarnings(async () => {
    assert.deepEqual(await cached("events:list", 60, load), { n: 1 });
    assert.deepEqual(await cached("events:list", 60, load), { n: 1 });
    assert.equal(await cache().ping(), true);
  });
  assert.equal(loads, 1);
  assert.equal(logs.length, 1);
  assert.match(String(logs[0].msg), /UPSTASH_REDIS_REST_URL is not set/);
  assert.deepEqual(await cache().get("events:list"), { n: 1 });
});

Deno.test("cached() does not cache undefined", async () => {
  resetCacheForTests({});
  let loads = 0;
  const load = () => Promise.resolve((loads++, undefined));
  assert.equal(await cached("nope", 60, load), undefined);
  assert.equal(await cached("nope", 60, load), undefined);
  assert.equal(loads, 2);
});

Deno.test("rateLimiter() follows the singleton across resetCacheForTests", async () => {
  const limiter = rateLimiter("webhook", { limit: 1, windowSeconds: 3600 });
  resetCacheForTests({});
  assert.equal((await limiter.check("mp")).allowed, true);
  assert.equal((await limiter.check("mp")).allowed, false);
  resetCacheForTests({});
  // A fresh backend has no history.
  assert.equal((await limiter.check("mp")).allowed, true);
});
