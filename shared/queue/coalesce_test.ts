import assert from "node:assert/strict";
import { coalesce } from "./coalesce.ts";

/** A run whose calls the test releases one by one, recording each call's items. */
function gatedRun() {
  const calls: { key: string; items: number[]; release: () => void; fail: (e: Error) => void }[] =
    [];
  const run = (key: string, items: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      calls.push({
        key,
        items,
        release: () => resolve(items.map((n) => n * 10)),
        fail: reject,
      });
    });
  return { calls, run };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("coalesce: alone goes at once; arrivals during a call share the next one", async () => {
  const { calls, run } = gatedRun();
  const ask = coalesce(run);
  const first = ask("e1", 1);
  await tick();
  assert.deepEqual(calls.map((c) => c.items), [[1]]);
  const later = [2, 3, 4].map((n) => ask("e1", n));
  const other = ask("e2", 9);
  await tick();
  // e1's next batch waits for its call in flight; e2 has its own lane.
  assert.deepEqual(calls.map((c) => [c.key, c.items]), [["e1", [1]], ["e2", [9]]]);
  calls[0].release();
  assert.equal(await first, 10);
  await tick();
  assert.deepEqual(calls[2].items, [2, 3, 4]);
  calls[2].release();
  assert.deepEqual(await Promise.all(later), [20, 30, 40]);
  calls[1].release();
  assert.equal(await other, 90);
});

Deno.test("coalesce: a failed call fails each of its items, and the lane carries on", async () => {
  const { calls, run } = gatedRun();
  const ask = coalesce(run, 2);
  const first = ask("e", 1);
  await tick();
  const settled = Promise.allSettled([2, 3, 4].map((n) => ask("e", n)));
  calls[0].fail(new Error("down"));
  await assert.rejects(first, /down/);
  await tick();
  // At most two per call.
  assert.deepEqual(calls[1].items, [2, 3]);
  calls[1].fail(new Error("still down"));
  await tick();
  assert.deepEqual(calls[2].items, [4]);
  calls[2].release();
  assert.deepEqual((await settled).map((s) => s.status), ["rejected", "rejected", "fulfilled"]);
  // The lane is free again: a new ask goes out at once.
  const again = ask("e", 5);
  await tick();
  calls[3].release();
  assert.equal(await again, 50);
});

Deno.test("coalesce: the same turn's arrivals go out together", async () => {
  const { calls, run } = gatedRun();
  const ask = coalesce(run);
  const all = [1, 2, 3].map((n) => ask("e", n));
  await tick();
  assert.deepEqual(calls.map((c) => c.items), [[1, 2, 3]]);
  calls[0].release();
  assert.deepEqual(await Promise.all(all), [10, 20, 30]);
});
