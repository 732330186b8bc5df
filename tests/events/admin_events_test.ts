/** Creating, updating, cancelling and deleting events, with their audit rows and races. */
import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";
import type { Sql } from "../../shared/db/mod.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callers } from "../support/callers.ts";
import { makeEvent, makeUser } from "../support/builders.ts";
import { makePaidOrder, makeTicketType } from "../support/events_builders.ts";

const as = () => callers(createEventsApp());
const future = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

// row.* rows are the builders' direct inserts, audited as a Studio edit would be.
async function auditRows(sql: Sql, entityId: string) {
  return await sql<{ action: string; actor_id: string; data: Record<string, unknown> }[]>`
    select action, actor_id, data from public.audit_log
     where entity_id = ${entityId} and action not like 'row.%' order by id`;
}

dbTest("an admin creates an event: defaults, derived slug, audit row", async () => {
  const { sql } = await setupHarness();
  const admin = await as().asAdmin();
  const title = `Noche de Tango ${Date.now()}`;
  const { status, body } = await admin.post("/events", {
    title,
    starts_at: "2027-03-01T21:00:00-03:00",
    ends_at: "2027-03-02T01:00:00-03:00",
  });
  assert.equal(status, 201, JSON.stringify(body));
  assert.equal(body.slug, `noche-de-tango-${title.split(" ").at(-1)}`);
  assert.equal(body.status, "draft");
  assert.equal(body.currency, "ARS");
  assert.equal(body.time_zone, "America/Argentina/Buenos_Aires");
  assert.equal(body.starts_at, "2027-03-02T00:00:00.000Z");
  const audit = await auditRows(sql, body.id);
  assert.deepEqual(audit.map((a) => [a.action, a.actor_id]), [["event.created", admin.user!.id]]);
});

dbTest("concurrent creates with one slug: exactly one wins, the rest get slug_taken", async () => {
  const admin = await as().asAdmin();
  const slug = `race-${Date.now().toString(36)}`;
  const results = await Promise.all(
    Array.from(
      { length: 12 },
      (_, i) =>
        admin.post("/events", {
          title: `Race ${i}`,
          slug,
          starts_at: future(5),
          ends_at: future(6),
        }),
    ),
  );
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, ...Array(11).fill(409)]);
  assert.ok(
    results.filter((r) => r.status === 409).every((r) => r.body.error.code === "slug_taken"),
  );
});

dbTest("partial update: checked against the stored dates, audited with its changes", async () => {
  const { sql } = await setupHarness();
  const event = await makeEvent(sql, { startsInHours: 48, durationHours: 3 });
  const coordinator = await as().asCoordinator(event.id);
  const early = new Date(event.starts_at.getTime() - 3_600_000).toISOString();
  const bad = await coordinator.put(`/events/${event.id}`, { ends_at: early });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.details[0].field, "body.ends_at");
  const late = new Date(event.ends_at.getTime() + 3_600_000).toISOString();
  const badStart = await coordinator.put(`/events/${event.id}`, { starts_at: late });
  assert.equal(badStart.body.error.details[0].field, "body.starts_at");
  const ok = await coordinator.put(`/events/${event.id}`, { venue: "Luna Park", currency: "USD" });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.venue, "Luna Park");
  assert.equal(ok.body.title, event.title, "untouched fields stay");
  const [row] = await auditRows(sql, event.id);
  assert.equal(row.action, "event.updated");
  assert.equal(row.actor_id, coordinator.user!.id);
  assert.deepEqual(row.data.changes, {
    venue: { from: "Test venue", to: "Luna Park" },
    currency: { from: "ARS", to: "USD" },
  });
});

dbTest(
  "status: cancel with PUT; cancelled is final; orders pin currency and publication",
  async () => {
    const { sql } = await setupHarness();
    const admin = await as().asAdmin();
    const event = await makeEvent(sql);
    const type = await makeTicketType(sql, event.id);
    const buyer = await makeUser(sql);
    await makePaidOrder(sql, {
      buyerId: buyer.id,
      eventId: event.id,
      ticketTypeId: type.id,
      quantity: 1,
      unitPrice: 100,
    });
    const codes = async (patch: Record<string, unknown>) => {
      const { status, body } = await admin.put(`/events/${event.id}`, patch);
      return [status, body.error?.code ?? body.status];
    };
    assert.deepEqual(await codes({ currency: "USD" }), [409, "event_has_orders"]);
    assert.deepEqual(await codes({ status: "draft" }), [409, "event_has_orders"]);
    assert.deepEqual(await codes({ status: "cancelled" }), [200, "cancelled"]);
    assert.deepEqual(await codes({ status: "published" }), [409, "invalid_status_transition"]);
    const { body } = await as().asAnon().get(`/events/${event.id}`);
    assert.equal(body.error.code, "event_not_found", "cancelled events leave the public catalog");
  },
);

dbTest("delete: refused with orders, done without; audit row; gone afterwards", async () => {
  const { sql } = await setupHarness();
  const admin = await as().asAdmin();
  const sold = await makeEvent(sql);
  const type = await makeTicketType(sql, sold.id);
  const buyer = await makeUser(sql);
  const spec = { buyerId: buyer.id, eventId: sold.id, ticketTypeId: type.id };
  await makePaidOrder(sql, { ...spec, quantity: 1, unitPrice: 1 });
  const refused = await admin.delete(`/events/${sold.id}`);
  assert.equal(refused.status, 409);
  assert.equal(refused.body.error.code, "event_has_orders");
  const empty = await makeEvent(sql);
  await makeTicketType(sql, empty.id);
  assert.equal((await admin.delete(`/events/${empty.id}`)).status, 204);
  assert.equal((await admin.get(`/events/${empty.id}`)).status, 404);
  assert.deepEqual((await auditRows(sql, empty.id)).map((a) => a.action), ["event.deleted"]);
});

dbTest("delete racing order inserts: never both, never a 500", async () => {
  const { sql } = await setupHarness();
  const admin = await as().asAdmin();
  const buyer = await makeUser(sql);
  const outcomes: string[] = [];
  for (let round = 0; round < 8; round++) {
    const event = await makeEvent(sql);
    const type = await makeTicketType(sql, event.id);
    const order = makePaidOrder(sql, {
      buyerId: buyer.id,
      eventId: event.id,
      ticketTypeId: type.id,
      quantity: 1,
      unitPrice: 1,
    }).then(() => "order", () => "no-order");
    const [deleted, ordered] = await Promise.all([admin.delete(`/events/${event.id}`), order]);
    const [{ n }] = await sql`select count(*)::int as n from public.events where id = ${event.id}`;
    outcomes.push(`${deleted.status}/${deleted.body?.error?.code ?? "-"}/${ordered}/${n}`);
  }
  // Either the delete won (the order failed on its foreign key) or the order won (409).
  const allowed = new Set(["204/-/no-order/0", "409/event_has_orders/order/1"]);
  assert.deepEqual(outcomes.filter((o) => !allowed.has(o)), []);
});
