import assert from "node:assert/strict";
import { z } from "zod";
import { createRoute } from "../../shared/routing.ts";
import { createApp } from "../../shared/http.ts";
import { DomainError } from "../../shared/errors.ts";
import { jsonBody, jsonResponse } from "../../shared/openapi.ts";
import { dbTest, setupHarness } from "../support/harness.ts";

function probeApp() {
  const app = createApp("probe");
  const echo = createRoute({
    method: "post",
    path: "/echo/{id}",
    request: {
      params: z.object({ id: z.uuid() }),
      query: z.object({ n: z.coerce.number().int().max(10).optional() }),
      body: jsonBody(z.object({ name: z.string().max(5), nested: z.object({ x: z.number() }) })),
    },
    responses: { 200: jsonResponse(z.object({ name: z.string() }), "echo") },
  });
  app.openapi(echo, (c) => c.json({ name: c.req.valid("json").name }, 200));
  app.get("/domain", () => {
    throw new DomainError("sold_out", "Sold out", { ticket_type_id: "t1" });
  });
  app.get("/crash", () => {
    throw new Error("secret internals: select * from users");
  });
  app.get("/db", async () => {
    const { sql } = await setupHarness();
    await sql`select 'not-a-uuid'::uuid`;
    return new Response("unreachable");
  });
  return app;
}

async function send(path: string, init: RequestInit = {}) {
  const response = await probeApp().request(`/probe${path}`, init);
  return { status: response.status, headers: response.headers, body: await response.json() };
}

const ID = "0e6c1f2a-8a8e-4c2b-9a57-6f1c1f1e0d10";
const json = (body: string) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body,
});

dbTest("zod failures are 400 validation_failed with field paths", async () => {
  const { status, body } = await send(`/echo/${ID}`, json(`{"name":"too long","nested":{}}`));
  assert.equal(status, 400);
  assert.equal(body.error.code, "validation_failed");
  const fields = body.error.details.map((d: { field: string }) => d.field).sort();
  assert.deepEqual(fields, ["body.name", "body.nested.x"]);
  const param = await send(`/echo/not-a-uuid`, json(`{"name":"a","nested":{"x":1}}`));
  assert.equal(param.body.error.details[0].field, "path.id");
  const query = await send(`/echo/${ID}?n=99`, json(`{"name":"a","nested":{"x":1}}`));
  assert.equal(query.body.error.details[0].field, "query.n");
});

dbTest("malformed JSON is 400 invalid_json; a missing body is validation_failed", async () => {
  const malformed = await send(`/echo/${ID}`, json(`{"name":`));
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.error.code, "invalid_json");
  const missing = await send(`/echo/${ID}`, { method: "POST" });
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error.code, "validation_failed");
});

dbTest("unknown routes are 404 not_found with the request id echoed", async () => {
  const { status, headers, body } = await send("/nope", { headers: { "x-request-id": "req-42" } });
  assert.equal(status, 404);
  assert.equal(body.error.code, "not_found");
  assert.equal(body.error.request_id, "req-42");
  assert.equal(headers.get("x-request-id"), "req-42");
});

dbTest("domain errors map through the status table; details are kept", async () => {
  const { status, body } = await send("/domain");
  assert.equal(status, 409);
  assert.deepEqual(body.error.details, { ticket_type_id: "t1" });
});

dbTest("unexpected errors are 500 internal without stack or SQL text", async () => {
  const { status, body } = await send("/crash");
  assert.equal(status, 500);
  assert.equal(body.error.code, "internal");
  assert.doesNotMatch(JSON.stringify(body), /select|secret|at /);
});

dbTest("a database format error surfaces as 400, not 500", async () => {
  const { status, body } = await send("/db");
  assert.equal(status, 400);
  assert.equal(body.error.code, "validation_failed");
  assert.doesNotMatch(JSON.stringify(body), /uuid/);
});

dbTest("bodies over the limit are 413 payload_too_large", async () => {
  const big = JSON.stringify({ name: "a", nested: { x: 1 }, pad: "x".repeat(300 * 1024) });
  const { status, body } = await send(`/echo/${ID}`, json(big));
  assert.equal(status, 413);
  assert.equal(body.error.code, "payload_too_large");
});
