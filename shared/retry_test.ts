import assert from "node:assert/strict";
import { backoffDelay, retry, RetryExhaustedError } from "./retry.ts";

Deno.test("backoffDelay doubles its ceiling per retry and never exceeds maxMs", () => {
  const top = () => 0.999999;
  const opts = { baseMs: 100, maxMs: 1000, random: top };
  assert.deepEqual([0, 1, 2, 3, 4, 10, 5000].map((n) => backoffDelay(n, opts)), [
    99,
    199,
    399,
    799,
    999,
    999,
    999,
  ]);
  assert.equal(backoffDelay(3, { ...opts, random: () => 0 }), 0);
});

Deno.test("backoffDelay is spread over the whole window (full jitter)", () => {
  const delays = Array.from({ length: 2000 }, () => backoffDelay(3, { baseMs: 100, maxMs: 1e6 }));
  assert.ok(delays.every((d) => d >= 0 && d < 800));
  assert.ok(delays.some((d) => d < 200) && delays.some((d) => d > 600));
});

Deno.test("retry stops at the first success and sleeps between failures", async () => {
  const waits: number[] = [];
  let calls = 0;
  const value = await retry(() => {
    calls++;
    if (calls < 3) throw new Error("flaky");
    return Promise.resolve("ok");
  }, {
    attempts: 5,
    baseMs: 10,
    maxMs: 100,
    random: () => 0.5,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  assert.equal(value, "ok");
  assert.equal(calls, 3);
  assert.deepEqual(waits, [5, 10]);
});

Deno.test("retry gives up after the bound and keeps the last error", async () => {
  let calls = 0;
  const error = await retry(() => {
    calls++;
    return Promise.reject(new Error(`boom ${calls}`));
  }, { attempts: 3, baseMs: 1, maxMs: 1, sleep: async () => {} }).catch((e) => e);
  assert.ok(error instanceof RetryExhaustedError);
  assert.equal(calls, 3);
  assert.equal((error.lastError as Error).message, "boom 3");
});

Deno.test("retry does not retry what retryOn rejects, and honours retryAfterMs", async () => {
  let calls = 0;
  await assert.rejects(
    retry(() => {
      calls++;
      return Promise.reject(new TypeError("permanent"));
    }, { attempts: 5, baseMs: 1, maxMs: 1, retryOn: (e) => !(e instanceof TypeError) }),
    TypeError,
  );
  assert.equal(calls, 1);
  const waits: number[] = [];
  const result = await retry((n) => Promise.resolve(n), {
    attempts: 3,
    baseMs: 1,
    maxMs: 1,
    retryResult: (n) => n < 2,
    retryAfterMs: () => 1234,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  assert.equal(result, 2);
  assert.deepEqual(waits, [1234, 1234]);
});
