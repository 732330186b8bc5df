/**
 * Text PostgreSQL refuses never reaches it: a NUL anywhere (query, path,
 * body value or key) is a 400 naming the field, bytes that are not UTF-8 are
 * `invalid_json`, and any other data exception (SQLSTATE 22xxx) is a 400.
 */
import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";
import { createTicketsApp } from "../../functions/tickets/routes.ts";
import { createApp } from "../../shared/http.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { type ApiResponse, callers } from "../support/callers.ts";
import { makeEvent, makeTicketType } from "../support/builders.ts";
import { makeTicket } from "../support/ticket_builders.ts";
import { eventOnSale, key, purchaseBody, purchaseEnv } from "../purchases/env.ts";

const NUL = "a\u0000b";

function assertRefused(res: ApiResponse, field: string) {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.error.code, "validation_failed");
  const fields = res.body.error.details.map((d: { field: string }) => d.field);
  assert.ok(fields.includes(field), `${field} in ${JSON.stringify(fields)}`);
  assert.ok(res.body.error.request_id);
}

dbTest("events: a NUL in the search, a path or an event's text is a 400 naming it", async () => {
  const { sql } = await setupHarness();
  const as = callers(createEventsApp());
  assertRefused(await as.asAnon().get("/events?q=a%00b"), "query.q");
  assertRefused(await as.asAnon().get("/events/demo%00fest"), "path.id");
  const admin = await as.asAdmin();
  const event = {
    title: "Fine",
    starts_at: "2027-03-01T21:00:00-03:00",
    ends_at: "2027-03-02T01:00:00-03:00",
  };
  assertRefused(await admin.post("/events", { ...event, title: NUL }), "body.title");
  assertRefused(await admin.post("/events", { ...event, venue: NUL }), "body.venue");
  const existing = await makeEvent(sql);
  assertRefused(
    await admin.post(`/events/${existing.id}/ticket-types`, { name: NUL, price: 1, capacity: 1 }),
    "body.name",
  );
  const [{ n }] = await sql`select count(*)::int as n from public.events where title = 'Fine'`;
  assert.equal(n, 0);
});

dbTest("purchases: a NUL in attendees[].name, and in a webhook's data.id, is a 400", async () => {
  const { sql, asUser, asAnon } = await purchaseEnv();
  const { event, ticketType } = await eventOnSale(sql);
  const buyer = await asUser();
  const body = {
    ...purchaseBody(event.id, ticketType.id, 1),
    attendees: [{ ticket_type_id: ticketType.id, name: NUL }],
  };
  assertRefused(await buyer.post("/purchases", body, key()), "body.attendees.0.name");
  assertRefused(await asAnon().post("/purchases/webhook?data.id=1%002", {}), "query.data.id");
  assertRefused(
    await asAnon().post("/purchases/webhook", { type: "payment", data: { id: NUL } }),
    "body.data.id",
  );
  // A key PostgreSQL's jsonb would refuse, in the loosely typed webhook body.
  assertRefused(
    await asAnon().post("/purchases/webhook", '{"type":"payment","x\\u0000":1}'),
    "body.x\\u0000",
  );
  const [{ n }] = await sql`select count(*)::int as n from public.orders where buyer_id = ${
    buyer.user!.id
  }`;
  assert.equal(n, 0);
});

dbTest("the door: a NUL in gate, nonce or device_id is a 400 and writes no check-in", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const scanner = await callers(createTicketsApp()).asScanner(ticket.eventId);
  const scan = { code: "X", event_id: ticket.eventId };
  for (const field of ["gate", "nonce", "device_id"]) {
    assertRefused(
      await scanner.post("/tickets/validate", { ...scan, [field]: NUL }),
      `body.${field}`,
    );
  }
  const batch = {
    event_id: ticket.eventId,
    scans: [{ code: "X", nonce: NUL, scanned_at: new Date().toISOString() }],
  };
  assertRefused(await scanner.post("/tickets/validate/batch", batch), "body.scans.0.nonce");
  const [{ n }] = await sql`select count(*)::int as n from public.checkins
                             where event_id = ${ticket.eventId}`;
  assert.equal(n, 0);
});

dbTest("a JSON body that is not UTF-8 is 400 invalid_json, never stored as U+FFFD", async () => {
  const { sql } = await setupHarness();
  const event = await makeEvent(sql);
  const admin = await callers(createEventsApp()).asAdmin();
  const bytes = new Uint8Array([
    ...new TextEncoder().encode('{"name":"Caf'),
    0xe9, // Latin-1 é: not UTF-8
    ...new TextEncoder().encode('","price":1,"capacity":1}'),
  ]);
  const res = await createEventsApp().request(`/events/${event.id}/ticket-types`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
    body: bytes,
  });
  const body = await res.json();
  assert.equal(res.status, 400, JSON.stringify(body));
  assert.equal(body.error.code, "invalid_json");
  const [{ n }] = await sql`select count(*)::int as n from public.ticket_types
                             where event_id = ${event.id}`;
  assert.equal(n, 0);
  // Valid UTF-8 still passes.
  const ok = await admin.post(`/events/${event.id}/ticket-types`, {
    name: "Café",
    price: 1,
    capacity: 1,
  });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  await makeTicketType(sql, event.id);
});

dbTest(
  "any data exception (SQLSTATE 22xxx) is a 400; no constraint name in a response",
  async () => {
    const app = createApp("probe");
    app.get("/divide", async () => {
      const { sql } = await setupHarness();
      await sql`select 1 / 0`; // 22012 division_by_zero
      return new Response("unreachable");
    });
    app.get("/unique", async () => {
      const { sql } = await setupHarness();
      const event = await makeEvent(sql);
      await sql`insert into public.events (title, slug, venue, starts_at, ends_at)
              values ('x', ${event.slug}, 'v', now(), now() + interval '1 hour')`;
      return new Response("unreachable");
    });
    const divide = await app.request("/probe/divide");
    assert.equal(divide.status, 400);
    assert.equal((await divide.json()).error.code, "validation_failed");
    const unique = await app.request("/probe/unique");
    const text = await unique.text();
    assert.equal(unique.status, 409, text);
    assert.doesNotMatch(text, /_key|_fkey|_check|events/);
  },
);
