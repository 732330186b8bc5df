import assert from "node:assert/strict";
import { assertBeforeDeadline, remainingMs, withDeadline, withoutDeadline } from "./deadline.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("the deadline follows the request's async work, and only it", async () => {
  assert.equal(remainingMs(), undefined);
  await withDeadline(50, async () => {
    await sleep(1);
    const left = remainingMs()!;
    assert.ok(left > 0 && left <= 50, String(left));
    assertBeforeDeadline();
    // Work that outlives the request (a mail kick) runs without it.
    assert.equal(withoutDeadline(() => remainingMs()), undefined);
    await sleep(60);
    assert.ok(remainingMs()! <= 0);
    assert.throws(assertBeforeDeadline, { code: "unavailable" });
  });
  assert.equal(remainingMs(), undefined);
});
