/**
 * What every response may and may not carry: no constraint or table names
 * (a deleted user's token is `unknown_user`), no-store and nosniff headers,
 * no documentation of routes production lacks, and unknown methods answered
 * with the error shape.
 */
import assert from "node:assert/strict";
import { createTicketsApp } from "../../functions/tickets/routes.ts";
import { createPurchasesApp } from "../../functions/purchases/routes.ts";
import { createGateway } from "../../functions/gateway.ts";
import { FUNCTIONS } from "../../functions/registry.ts";
import { createDevPurchasesApp, DEV_FUNCTIONS } from "../../functions/_dev/dev_functions.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callerFor, callers } from "../support/callers.ts";
import { makeTicket } from "../support/ticket_builders.ts";
import { hs256Token } from "../support/tokens.ts";
import { asProduction } from "../support/production_env.ts";
import { eventOnSale, key, purchaseBody, purchaseEnv } from "../purchases/env.ts";

dbTest(
  "a valid token whose user was deleted is 401 unknown_user, naming no constraint",
  async () => {
    const { sql, app } = await purchaseEnv();
    const { event, ticketType } = await eventOnSale(sql);
    const ghost = crypto.randomUUID();
    const caller = callerFor(app, await hs256Token({ sub: ghost, roles: ["user"] }));
    const res = await caller.post("/purchases", purchaseBody(event.id, ticketType.id), key());
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal(res.body.error.code, "unknown_user");
    assert.doesNotMatch(JSON.stringify(res.body), /fkey|orders|constraint|users/);
  },
);

dbTest("no-store on personal data, nosniff everywhere, the QR stays private", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const app = createTicketsApp();
  const owner = await callers(app).as(ticket.owner);
  const header = (res: { headers: Headers }, name: string) => res.headers.get(name);
  for (const path of [`/tickets/user/${ticket.owner.id}`, `/tickets/${ticket.id}`]) {
    const res = await owner.get(path);
    assert.equal(res.status, 200);
    assert.equal(header(res, "cache-control"), "no-store", path);
    assert.equal(header(res, "x-content-type-options"), "nosniff", path);
  }
  const qr = await owner.get(`/tickets/${ticket.id}/qr`);
  assert.equal(qr.status, 200);
  assert.match(header(qr, "cache-control") ?? "", /^private/);
  assert.equal(header(qr, "x-content-type-options"), "nosniff");
  const refused = await callerFor(app).get(`/tickets/${ticket.id}`);
  assert.equal(refused.status, 401);
  assert.equal(header(refused, "x-content-type-options"), "nosniff");
  const missing = await callerFor(app).get("/tickets/no/such/route");
  assert.equal(header(missing, "x-content-type-options"), "nosniff");
});

/** Sends a raw request line (fetch refuses TRACE) to a real server on `handler`. */
async function rawRequest(handler: Deno.ServeHandler, method: string, path: string) {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler);
  try {
    const conn = await Deno.connect({ port: server.addr.port, hostname: "127.0.0.1" });
    const request = `${method} ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`;
    await conn.write(new TextEncoder().encode(request));
    const text = new TextDecoder().decode(
      (await new Response(conn.readable).arrayBuffer()) as ArrayBuffer,
    );
    const [head, body] = text.split("\r\n\r\n");
    return { status: Number(head.split(" ")[1]), head: head.toLowerCase(), body };
  } finally {
    await server.shutdown();
  }
}

dbTest(
  "TRACE and made-up methods are 405 with the error shape, on a function and the gateway",
  async () => {
    await setupHarness();
    const app = createTicketsApp();
    const gateway = createGateway(FUNCTIONS);
    for (
      const [handler, path] of [[app.fetch, "/tickets/keys"], [
        gateway.fetch,
        "/functions/v1/tickets/keys",
      ]] as const
    ) {
      for (const method of ["TRACE", "TRACK", "PROPFIND", "BREW"]) {
        const res = await rawRequest(handler as Deno.ServeHandler, method, path);
        assert.equal(res.status, 405, `${method} ${path}: ${res.head}`);
        assert.match(res.head, /\r\nallow: get, head, post/);
        const body = JSON.parse(res.body.trim().split("\r\n").find((l) => l.startsWith("{"))!);
        assert.equal(body.error.code, "method_not_allowed");
        assert.ok(body.error.request_id);
      }
    }
  },
);

dbTest("production documents only the routes it serves: no payment simulator", async () => {
  await setupHarness();
  const devDoc = await (await createDevPurchasesApp().request("/purchases/openapi.json")).json();
  assert.ok(Object.keys(devDoc.paths).some((p) => p.includes("/simulate/")), "dev documents it");
  const deployed = await (await createPurchasesApp().request("/purchases/openapi.json")).json();
  assert.deepEqual(Object.keys(deployed.paths).filter((p) => p.includes("simulate")), []);
  await asProduction(async () => {
    const app = createDevPurchasesApp();
    const doc = await (await app.request("/purchases/openapi.json")).json();
    assert.deepEqual(Object.keys(doc.paths).filter((p) => p.includes("simulate")), []);
    const page = await app.request(`/purchases/simulate/${crypto.randomUUID()}`);
    assert.equal(page.status, 404);
    const merged = await (await createGateway(DEV_FUNCTIONS).request("/openapi.json")).json();
    assert.deepEqual(Object.keys(merged.paths).filter((p) => p.includes("simulate")), []);
  });
});
