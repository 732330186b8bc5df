import assert from "node:assert/strict";
import { attemptsSpent, PROVIDER_RETRY, retryDelayMs } from "./retry_queue.ts";

Deno.test("retryDelayMs doubles per failed attempt, caps at maxMs, never retries at once", () => {
  const policy = { baseMs: 1000, maxMs: 10_000 };
  const low = (n: number) => retryDelayMs(n, policy, () => 0);
  const high = (n: number) => retryDelayMs(n, policy, () => 0.999999);
  assert.deepEqual([1, 2, 3, 4, 5, 50, 5000].map(low), [500, 1000, 2000, 4000, 5000, 5000, 5000]);
  assert.deepEqual([1, 2, 3, 4, 5].map(high), [1000, 2000, 4000, 8000, 10_000]);
  assert.equal(retryDelayMs(0, policy, () => 0), 500, "a row never tried waits like the first");
  assert.throws(() => retryDelayMs(1, { baseMs: -1, maxMs: 1 }), RangeError);
});

Deno.test("the provider policy gives up after 12 attempts; Infinity never does", () => {
  assert.equal(attemptsSpent(11, PROVIDER_RETRY), false);
  assert.equal(attemptsSpent(12, PROVIDER_RETRY), true);
  assert.equal(attemptsSpent(1e6, { ...PROVIDER_RETRY, maxAttempts: Infinity }), false);
});
