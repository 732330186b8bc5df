import assert from "node:assert/strict";
import { callBounds } from "./mercadopago.ts";

Deno.test("a Mercado Pago call's timeout and retry fit the time its caller has left", () => {
  // No deadline (a script) or plenty left: the usual two tries of 4 s.
  for (const left of [undefined, 10_000, 9_250]) {
    assert.deepEqual(callBounds(left), {
      timeout: 4000,
      maxRetries: 1,
      initialDelay: 200,
      maxDelay: 1000,
    });
  }
  // Less than two tries: one try, ending 250 ms before the deadline.
  assert.equal(callBounds(9_000).maxRetries, 0);
  assert.equal(callBounds(9_000).timeout, 4000);
  assert.equal(callBounds(2_000).timeout, 1750);
  assert.equal(callBounds(2_000).maxRetries, 0);
  // Out of time: a short try that fails fast rather than a wait past the deadline.
  assert.equal(callBounds(0).timeout, 100);
  assert.equal(callBounds(-500).timeout, 100);
});
