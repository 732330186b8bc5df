/**
 * The calls of README's "Using the API from the frontend" that the buyer's
 * journey does not make, made the way the README writes them, on the event
 * and tickets the journey left behind.
 */
import assert from "node:assert/strict";
import type { ApiClient, Json } from "./clients.ts";
import type { Cast } from "./scenario.ts";

export interface Leftovers {
  event: Json;
  tickets: Json[];
}

export async function callTheOtherEndpoints(
  client: ApiClient,
  cast: Cast,
  { event, tickets }: Leftovers,
  step: (name: string, fn: () => Promise<void>) => Promise<void>,
): Promise<void> {
  const call = client.call.bind(client);
  const ok = async (expected: number, ...args: Parameters<ApiClient["call"]>) => {
    const result = await call(...args);
    assert.equal(result.status, expected, `${args[1]} ${args[2]}: ${JSON.stringify(result.body)}`);
    return result.body;
  };

  await step("public reads: health, verification keys", async () => {
    assert.equal((await ok(200, cast.visitor, "GET", "health")).status, "ok");
    assert.ok((await ok(200, cast.visitor, "GET", "tickets/keys")).keys.length >= 1);
  });

  await step("one ticket, with its code, for its owner", async () => {
    const ticket = await ok(200, cast.buyer, "GET", `tickets/${tickets[1].id}`);
    assert.equal(ticket.code, tickets[1].code);
  });

  await step("ticket types: list, update, create and delete", async () => {
    const types = `events/${event.id}/ticket-types`;
    const [general] = (await ok(200, cast.admin, "GET", types)).items;
    const raised = await ok(200, cast.admin, "PUT", `${types}/${general.id}`, {
      body: { capacity: 20 },
    });
    assert.equal(raised.capacity, 20);
    const extra = await ok(201, cast.admin, "POST", types, {
      body: { name: "Extra", price: 1_000, capacity: 5 },
    });
    await ok(204, cast.admin, "DELETE", `${types}/${extra.id}`);
  });

  await step("the door: scanner sync, then an offline batch", async () => {
    const sync = await ok(
      200,
      cast.scanner,
      "GET",
      `tickets/events/${event.id}/scanner-sync?limit=100`,
    );
    assert.deepEqual(sync.tickets.map((t: Json) => t.id).sort(), tickets.map((t) => t.id).sort());
    const batch = await ok(200, cast.scanner, "POST", "tickets/validate/batch", {
      body: {
        event_id: event.id,
        device_id: `e2e-${client.name}-offline`,
        scans: [{ code: tickets[1].code, nonce: crypto.randomUUID(), scanned_at: isoNow() }],
      },
    });
    assert.equal(batch.summary.ok, 1);
  });

  await step("staff list and stats for the event", async () => {
    const staff = await ok(200, cast.admin, "GET", `events/${event.id}/staff`);
    assert.ok(staff.items.some((m: Json) => m.user_id === cast.scanner.id));
    const stats = await ok(200, cast.admin, "GET", `events/${event.id}/stats`);
    assert.deepEqual([stats.totals.sold, stats.totals.checked_in], [2, 2]);
  });

  await step("a test email through the outbox, listed as sent", async () => {
    const report = await ok(200, cast.admin, "POST", "notifications/test-email", {
      body: { to: "frontend-dev@crodify.local" },
    });
    assert.equal(report.accepted, true);
    const sent = await ok(200, cast.admin, "GET", "notifications/outbox?status=sent&limit=50");
    assert.ok(sent.emails.some((e: Json) => e.id === report.outbox_id));
  });

  await step("an event without orders can be cancelled and deleted", async () => {
    const draft = await ok(201, cast.admin, "POST", "events", {
      body: { title: "Called off", starts_at: isoIn(48), ends_at: isoIn(50) },
    });
    const cancelled = await ok(200, cast.admin, "PUT", `events/${draft.id}`, {
      body: { status: "cancelled" },
    });
    assert.equal(cancelled.status, "cancelled");
    await ok(204, cast.admin, "DELETE", `events/${draft.id}`);
    await ok(404, cast.admin, "GET", `events/${draft.id}`);
  });

  await step("a scanner removed from the staff is refused at the door", async () => {
    await ok(204, cast.admin, "DELETE", `events/${event.id}/staff/${cast.scanner.id}`);
    const refused = await ok(403, cast.scanner, "POST", "tickets/validate", {
      body: { code: tickets[0].code, event_id: event.id },
    });
    assert.equal(refused.error.code, "forbidden");
  });
}

const isoNow = () => new Date().toISOString();
const isoIn = (hours: number) => new Date(Date.now() + hours * 3600_000).toISOString();
