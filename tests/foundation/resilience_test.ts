/**
 * The HTTP side of a failing dependency: a lost connection is 503
 * `unavailable` with Retry-After (never a 500), a read that lost its
 * connection runs once more, a write does not, and no request waits past
 * REQUEST_DEADLINE_MS.
 */
import assert from "node:assert/strict";
import { createApp } from "../../shared/http.ts";
import { resetConfigForTests } from "../../shared/config.ts";

const connectionClosed = () =>
  Object.assign(new Error("write CONNECTION_CLOSED 127.0.0.1:5432"), { code: "CONNECTION_CLOSED" });

function flakyApp() {
  const calls = { get: 0, post: 0 };
  const app = createApp("flaky");
  // Fails like a query on a connection the server just closed, the first time only.
  app.get(
    "/read",
    (c) => ++calls.get === 1 ? Promise.reject(connectionClosed()) : c.json({ ok: 1 }),
  );
  app.post("/write", () => {
    calls.post++;
    throw connectionClosed();
  });
  app.get("/always", () => {
    calls.get++;
    throw Object.assign(new Error("terminating connection due to administrator command"), {
      code: "57P01",
    });
  });
  app.get("/slow", async (c) => {
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    return c.json({ late: true });
  });
  return { app, calls };
}

Deno.test("a read whose connection was lost is retried once and answers 200", async () => {
  resetConfigForTests({ APP_ENV: "test", LOG_LEVEL: "error" });
  const { app, calls } = flakyApp();
  const response = await app.request("/flaky/read");
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { ok: 1 });
  assert.equal(calls.get, 2);
  assert.equal(response.headers.get("x-crodify-retryable-read"), null);
});

Deno.test("a read that keeps failing is 503 unavailable with Retry-After after two tries", async () => {
  resetConfigForTests({ APP_ENV: "test", LOG_LEVEL: "error" });
  const { app, calls } = flakyApp();
  const response = await app.request("/flaky/always");
  const body = await response.json();
  assert.equal(response.status, 503);
  assert.equal(body.error.code, "unavailable");
  assert.equal(response.headers.get("retry-after"), "2");
  assert.doesNotMatch(JSON.stringify(body), /administrator|57P01/);
  assert.equal(calls.get, 2);
});

Deno.test("a write whose connection was lost is not retried: 503 unavailable", async () => {
  resetConfigForTests({ APP_ENV: "test", LOG_LEVEL: "error" });
  const { app, calls } = flakyApp();
  const response = await app.request("/flaky/write", { method: "POST" });
  assert.equal(response.status, 503);
  assert.equal((await response.json()).error.code, "unavailable");
  assert.equal(calls.post, 1);
});

Deno.test({
  name: "a request still waiting at REQUEST_DEADLINE_MS is answered 503 unavailable then",
  sanitizeOps: false,
  fn: async () => {
    resetConfigForTests({ APP_ENV: "test", LOG_LEVEL: "error", REQUEST_DEADLINE_MS: "300" });
    const { app } = flakyApp();
    const started = performance.now();
    const response = await app.request("/flaky/slow");
    const ms = performance.now() - started;
    assert.equal(response.status, 503);
    assert.equal((await response.json()).error.code, "unavailable");
    assert.ok(response.headers.get("retry-after"));
    assert.ok(ms < 1_500, `answered after ${ms} ms`);
    resetConfigForTests({ APP_ENV: "test", LOG_LEVEL: "error" });
  },
});
