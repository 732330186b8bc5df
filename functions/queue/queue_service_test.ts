import assert from "node:assert/strict";
import { pollAfter } from "./queue_service.ts";

Deno.test("poll interval: less often far back, never more than half an admission window", () => {
  const window = 600;
  assert.deepEqual(
    [10, 500, 2000, 9000].map((ahead) => pollAfter("waiting", ahead, false, window)),
    [2, 5, 10, 15],
  );
  assert.equal(pollAfter("waiting", null, true, window), 5);
  assert.equal(pollAfter("sold_out", 9000, false, window), 5);
  // A 10 s window: a waiter 9,000 back could be admitted within 15 s and miss it.
  assert.deepEqual(
    [10, 9000].map((ahead) => pollAfter("waiting", ahead, false, 10)),
    [2, 5],
  );
  assert.equal(pollAfter("admitted", null, false, 10), 5);
  assert.equal(pollAfter("waiting", 9000, false, 1), 1);
});
