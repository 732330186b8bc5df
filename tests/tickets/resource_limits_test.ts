/**
 * What one caller can cost the server: scans limited per signed-in scanner
 * (a fresh device_id per scan does not help), QR renders limited per user and
 * cached, a user's tickets served in pages, and which limits fail closed
 * when Upstash cannot be reached.
 */
import assert from "node:assert/strict";
import { createTicketsApp } from "../../functions/tickets/routes.ts";
import { resetCacheForTests } from "../../shared/cache/instance.ts";
import { qrRenderStats } from "../../shared/tickets/qr.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callerFor, callers } from "../support/callers.ts";
import { eventOnSale, key, purchaseBody, purchaseEnv } from "../purchases/env.ts";
import { makeTicket, makeTickets } from "../support/ticket_builders.ts";

dbTest("scans are limited per scanner: a new device_id per scan does not reset it", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const app = createTicketsApp({
    limits: {
      scanner: { limit: 3, windowSeconds: 60 },
      scannerBatches: { limit: 1, windowSeconds: 60 },
    },
  });
  const scanner = await callers(app).asScanner(ticket.eventId);
  const scan = () =>
    scanner.post("/tickets/validate", {
      code: "not-a-code",
      event_id: ticket.eventId,
      device_id: crypto.randomUUID(),
    });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await scan()).status);
  assert.deepEqual(statuses, [200, 200, 200, 429]);
  const batch = () =>
    scanner.post("/tickets/validate/batch", {
      event_id: ticket.eventId,
      device_id: crypto.randomUUID(),
      scans: [{ code: "x", nonce: crypto.randomUUID(), scanned_at: new Date().toISOString() }],
    });
  assert.deepEqual([(await batch()).status, (await batch()).status], [200, 429]);
  // Another scanner has a budget of its own.
  const other = await callers(app).asScanner(ticket.eventId);
  const res = await other.post("/tickets/validate", { code: "x", event_id: ticket.eventId });
  assert.equal(res.status, 200);
});

dbTest("QR images: limited per user, and a repeat is served without drawing again", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const app = createTicketsApp({ qrLimit: { limit: 3, windowSeconds: 60 } });
  const owner = await callers(app).as(ticket.owner);
  const first = await owner.get(`/tickets/${ticket.id}/qr?format=png`);
  assert.equal(first.status, 200);
  const drawn = qrRenderStats().renders;
  const again = await owner.get(`/tickets/${ticket.id}/qr?format=png`);
  assert.equal(again.status, 200);
  assert.equal(again.body, first.body);
  assert.equal(qrRenderStats().renders, drawn, "the repeat was not drawn again");
  assert.equal((await owner.get(`/tickets/${ticket.id}/qr`)).status, 200);
  const limited = await owner.get(`/tickets/${ticket.id}/qr`);
  assert.equal(limited.status, 429);
  assert.equal(limited.body.error.code, "rate_limited");
  assert.ok(Number(limited.headers.get("retry-after")) >= 1);
});

dbTest("a user's tickets come in pages with the catalog's cursor", async () => {
  const { sql } = await setupHarness();
  const tickets = await makeTickets(sql, { count: 5 });
  const owner = await callers(createTicketsApp()).as(tickets[0].owner);
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
    const res = await owner.get(`/tickets/user/${tickets[0].owner.id}${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.tickets.length <= 2);
    seen.push(...res.body.tickets.map((t: { id: string }) => t.id));
    cursor = res.body.next_cursor;
    pages++;
  } while (cursor && pages < 10);
  assert.equal(pages, 3);
  assert.deepEqual([...seen].sort(), tickets.map((t) => t.id).sort());
  const bad = await owner.get(`/tickets/user/${tickets[0].owner.id}?cursor=not-ours`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.details[0].field, "query.cursor");
});

dbTest(
  "Upstash unreachable: QR and webhook limits fail closed (503), door and purchases open",
  async () => {
    const { sql, app: purchases, asUser } = await purchaseEnv({ simulated: true });
    const ticket = await makeTicket(sql);
    const { event, ticketType } = await eventOnSale(sql);
    const app = createTicketsApp();
    const owner = await callers(app).as(ticket.owner);
    const scanner = await callers(app).asScanner(ticket.eventId);
    const buyer = await asUser();
    // Nothing listens on port 9: every Upstash call fails fast.
    resetCacheForTests({ url: "http://127.0.0.1:9", token: "t", timeoutMs: 300 });
    try {
      const qr = await owner.get(`/tickets/${ticket.id}/qr`);
      assert.equal(qr.status, 503, JSON.stringify(qr.body));
      assert.equal(qr.body.error.code, "unavailable");
      const webhook = await callerFor(purchases).post(
        "/purchases/webhook?data.id=1&type=payment",
        {},
      );
      assert.equal(webhook.status, 503, JSON.stringify(webhook.body));
      const scan = await scanner.post("/tickets/validate", { code: "x", event_id: ticket.eventId });
      assert.equal(scan.status, 200);
      const bought = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id), key());
      assert.equal(bought.status, 201, JSON.stringify(bought.body));
    } finally {
      resetCacheForTests();
    }
  },
);
