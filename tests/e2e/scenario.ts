/**
 * The buyer's journey end to end, written once and run through each
 * ApiClient: an admin sets up an event on sale, then a visitor lists and opens
 * it, the buyer buys two tickets, pays (ScenarioContext.pay), waits for
 * the order to be paid, lists their tickets and reads a QR image, the door
 * scanner validates it twice, and the confirmation mail has left.
 */
import assert from "node:assert/strict";
import type { ApiClient, Identity, Json } from "./clients.ts";
import type { LogRecord } from "../support/gateway_process.ts";

export interface Cast {
  visitor: Identity;
  admin: Identity;
  buyer: Identity & { id: string; email: string };
  scanner: Identity & { id: string };
}

export interface ScenarioContext {
  client: ApiClient;
  cast: Cast;
  /** Completes the order's payment the way this deployment's provider does. */
  pay(order: Json): Promise<void>;
  /** The confirmation mail as this deployment sent it, waited for by a predicate. */
  waitForMail(match: (mail: LogRecord) => boolean, timeoutMs: number): Promise<LogRecord>;
  step(name: string, fn: () => Promise<void>): Promise<void>;
}

const HOUR = 3600_000;
const POLL_DEADLINE_MS = 20_000;
const MAIL_DEADLINE_MS = 20_000;

function expectStatus(result: { status: number; body: Json }, status: number, what: string) {
  assert.equal(result.status, status, `${what}: ${JSON.stringify(result.body)}`);
}

/** Runs the whole journey; returns what it bought, for the caller's own checks. */
export async function buyAndCheckIn(ctx: ScenarioContext) {
  const { client, cast, step } = ctx;
  const call = client.call.bind(client);
  const title = `E2E ${client.name} ${crypto.randomUUID().slice(0, 8)}`;
  let event: Json;
  let ticketType: Json;
  let order: Json;
  let tickets: Json[] = [];
  let code = "";

  await step("the gateway is ready", async () => {
    const ready = await call(cast.visitor, "GET", "health/ready");
    expectStatus(ready, 200, "health/ready");
    assert.equal(ready.body.status, "ready");
  });

  await step("an admin puts an event on sale, doors open now", async () => {
    // Doors admit from starts_at − 6 h, so an event starting in an hour can be scanned now.
    const created = await call(cast.admin, "POST", "events", {
      body: {
        title,
        venue: "Sala E2E",
        starts_at: new Date(Date.now() + HOUR).toISOString(),
        ends_at: new Date(Date.now() + 5 * HOUR).toISOString(),
        max_tickets_per_user: 4,
      },
    });
    expectStatus(created, 201, "create event");
    event = created.body;
    const type = await call(cast.admin, "POST", `events/${event.id}/ticket-types`, {
      body: { name: "General", price: 250_000, capacity: 10 },
    });
    expectStatus(type, 201, "create ticket type");
    ticketType = type.body;
    const staff = await call(cast.admin, "POST", `events/${event.id}/staff`, {
      body: { user_id: cast.scanner.id, role: "scanner" },
    });
    expectStatus(staff, 201, "assign scanner");
    const published = await call(cast.admin, "PUT", `events/${event.id}`, {
      body: { status: "published" },
    });
    expectStatus(published, 200, "publish");
  });

  await step("a visitor finds it in the list (query string in the function name)", async () => {
    const query = new URLSearchParams({ q: title, limit: "5" });
    const list = await call(cast.visitor, "GET", `events?${query}`);
    expectStatus(list, 200, "list events");
    assert.deepEqual(list.body.items.map((e: Json) => e.id), [event.id]);
    assert.equal(list.body.items[0].price_from, 250_000);
  });

  await step("a visitor opens the event by its slug", async () => {
    const detail = await call(cast.visitor, "GET", `events/${event.slug}`);
    expectStatus(detail, 200, "event detail");
    const [type] = detail.body.ticket_types;
    assert.equal(type.id, ticketType.id);
    assert.deepEqual([type.available, type.on_sale, type.sold_out], [10, true, false]);
  });

  await step("a bad purchase answers the error envelope", async () => {
    const bad = await call(cast.buyer, "POST", "purchases", {
      body: { event_id: event.id, items: [{ ticket_type_id: ticketType.id, quantity: 0 }] },
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    expectStatus(bad, 400, "quantity 0");
    assert.equal(bad.body.error.code, "validation_failed");
    assert.equal(bad.body.error.details[0].field, "body.items.0.quantity");
    assert.equal(bad.body.error.request_id, bad.headers.get("x-request-id"));
  });

  await step("the buyer buys two tickets with an Idempotency-Key", async () => {
    const body = { event_id: event.id, items: [{ ticket_type_id: ticketType.id, quantity: 2 }] };
    const headers = { "Idempotency-Key": crypto.randomUUID() };
    const created = await call(cast.buyer, "POST", "purchases", { body, headers });
    expectStatus(created, 201, "purchase");
    order = created.body;
    assert.equal(order.status, "pending");
    assert.equal(order.total, 500_000);
    // A retry after a lost response (same key, same body) is the same order, not a second one.
    const retried = await call(cast.buyer, "POST", "purchases", { body, headers });
    expectStatus(retried, 200, "purchase retry");
    assert.equal(retried.body.order_id, order.order_id);
    assert.equal(retried.headers.get("idempotent-replayed"), "true");
    assert.match(retried.headers.get("access-control-expose-headers") ?? "", /idempotent-replayed/);
  });

  await step("the buyer pays", () => ctx.pay(order));

  await step("the buyer polls the order until it is paid", async () => {
    const deadline = Date.now() + POLL_DEADLINE_MS;
    let status: Json;
    while (true) {
      const polled = await call(cast.buyer, "GET", `purchases/${order.order_id}/status`);
      expectStatus(polled, 200, "order status");
      status = polled.body;
      if (status.status === "paid") break;
      assert.ok(Date.now() < deadline, `still ${status.status} after ${POLL_DEADLINE_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(status.tickets.length, 2);
  });

  await step("the buyer lists their tickets", async () => {
    const mine = await call(cast.buyer, "GET", `tickets/user/${cast.buyer.id}`);
    expectStatus(mine, 200, "my tickets");
    tickets = mine.body.tickets.filter((t: Json) => t.order_id === order.order_id);
    assert.equal(tickets.length, 2);
    for (const ticket of tickets) {
      assert.equal(ticket.status, "valid");
      assert.equal(ticket.event.id, event.id);
      assert.equal(ticket.ticket_type.id, ticketType.id);
    }
  });

  await step("the QR image carries the ticket's code", async () => {
    code = await client.ticketQrCode(cast.buyer, tickets[0].id);
    assert.equal(code, tickets[0].code);
  });

  await step("the scanner admits the ticket once", async () => {
    const scan = { code, event_id: event.id, gate: "North", device_id: `e2e-${client.name}` };
    const first = await call(cast.scanner, "POST", "tickets/validate", { body: scan });
    expectStatus(first, 200, "first scan");
    assert.equal(first.body.result, "ok");
    assert.equal(first.body.ticket.id, tickets[0].id);
    const second = await call(cast.scanner, "POST", "tickets/validate", { body: scan });
    expectStatus(second, 200, "second scan");
    assert.equal(second.body.result, "already_redeemed");
    assert.equal(second.body.previous.gate, "North");
  });

  await step("the confirmation mail left", async () => {
    const mail = await ctx.waitForMail(
      (m) => m.to === cast.buyer.email && String(m.text).includes(order.order_id),
      MAIL_DEADLINE_MS,
    );
    assert.match(String(mail.subject), new RegExp(title));
    for (const ticket of tickets) assert.ok(String(mail.text).includes(ticket.id));
    assert.equal((mail.attachments as string[]).length, 2, "one QR image per ticket");
  });

  return { event, order, tickets };
}
