/** Ticket types: the capacity rule against sold + holds, names, deletion, audit, and a race. */
import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callers } from "../support/callers.ts";
import { makeEvent, makeUser } from "../support/builders.ts";
import { makeHold, makePaidOrder, makeTicketType } from "../support/events_builders.ts";
import type { Sql } from "../../shared/db/mod.ts";

const as = () => callers(createEventsApp());

async function typeWithSales(sql: Sql, capacity: number, sold: number, held: number) {
  const event = await makeEvent(sql);
  const type = await makeTicketType(sql, event.id, { capacity });
  const buyer = await makeUser(sql);
  const spec = { buyerId: buyer.id, eventId: event.id, ticketTypeId: type.id, unitPrice: 500 };
  if (sold) await makePaidOrder(sql, { ...spec, quantity: sold });
  if (held) await makeHold(sql, { ...spec, quantity: held });
  await makeHold(sql, { ...spec, quantity: 7 }, -5); // expired: must not count
  return { event, type, path: `/events/${event.id}/ticket-types/${type.id}` };
}

dbTest("capacity may not go below sold + active holds (409 capacity_below_sold)", async () => {
  const { sql } = await setupHarness();
  const { event, path } = await typeWithSales(sql, 20, 4, 3);
  const coordinator = await as().asCoordinator(event.id);
  const below = await coordinator.put(path, { capacity: 6 });
  assert.equal(below.status, 409);
  assert.equal(below.body.error.code, "capacity_below_sold");
  assert.deepEqual(below.body.error.details, { capacity: 6, sold: 4, held: 3, minimum: 7 });
  const exact = await coordinator.put(path, { capacity: 7 });
  assert.equal(exact.status, 200, JSON.stringify(exact.body));
  assert.deepEqual([exact.body.capacity, exact.body.sold, exact.body.held], [7, 4, 3]);
  assert.equal(exact.body.available, 0);
  assert.equal(exact.body.sold_out, true);
});

dbTest("hand edits (Studio) below sold + holds are refused by the database itself", async () => {
  const { sql } = await setupHarness();
  // 2 sold, 2 held and 7 held by an expired hold: the cut releases the 7, not the 2.
  const { type } = await typeWithSales(sql, 11, 2, 2);
  const code = await sql`update public.ticket_types set capacity = 3 where id = ${type.id}`
    .then(() => "ok", (e) => e.code);
  assert.equal(code, "23514");
});

dbTest("create, list (inactive too), rename clash, sales window against stored row", async () => {
  const { sql } = await setupHarness();
  const event = await makeEvent(sql);
  const admin = await as().asAdmin();
  const base = `/events/${event.id}/ticket-types`;
  const created = await admin.post(base, {
    name: "Campo",
    price: 1_500_000,
    capacity: 300,
    sales_start_at: "2027-01-01T00:00:00Z",
    sales_end_at: "2027-02-01T00:00:00Z",
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.on_sale, false, "the window has not opened yet");
  await admin.post(base, { name: "Platea", price: 1, capacity: 1, is_active: false });
  const clash = await admin.post(base, { name: "Campo", price: 1, capacity: 1 });
  assert.equal(clash.body.error.code, "ticket_type_name_taken");
  const list = await admin.get(base);
  assert.deepEqual(list.body.items.map((t: { name: string }) => t.name).sort(), [
    "Campo",
    "Platea",
  ]);
  const window = await admin.put(`${base}/${created.body.id}`, {
    sales_end_at: "2026-12-01T00:00:00Z",
  });
  assert.equal(window.status, 400);
  assert.equal(window.body.error.details[0].field, "body.sales_end_at");
  const rename = await admin.put(`${base}/${created.body.id}`, { name: "Platea" });
  assert.equal(rename.body.error.code, "ticket_type_name_taken");
  const actions = await sql<{ action: string }[]>`
    select action from public.audit_log
     where entity_id = ${created.body.id} and action not like 'row.%' order by id`;
  assert.deepEqual(actions.map((a) => a.action), ["ticket_type.created"]);
});

dbTest("delete: refused once ordered, done otherwise, audited", async () => {
  const { sql } = await setupHarness();
  const { event, type, path } = await typeWithSales(sql, 10, 1, 0);
  const admin = await as().asAdmin();
  const refused = await admin.delete(path);
  assert.equal(refused.body.error.code, "ticket_type_has_orders");
  const unused = await makeTicketType(sql, event.id);
  assert.equal((await admin.delete(`/events/${event.id}/ticket-types/${unused.id}`)).status, 204);
  // row.* rows are the builder's direct insert (audited as a Studio edit would be).
  const [row] = await sql`select action, actor_id from public.audit_log
                           where entity_id = ${unused.id} and action not like 'row.%'`;
  assert.deepEqual([row.action, row.actor_id], ["ticket_type.deleted", admin.user!.id]);
  const [still] = await sql`select 1 from public.ticket_types where id = ${type.id}`;
  assert.ok(still);
});

/** What purchases does: take a hold on the counter (public.take_hold); false when full. */
async function takeHold(sql: Sql, typeId: string, eventId: string, buyerId: string, n: number) {
  return await sql.begin(async (tx) => {
    const [{ refused }] = await tx`select public.take_hold(${typeId}, ${n}) is not null as refused`;
    if (refused) return false;
    const [order] = await tx`
      insert into public.orders (buyer_id, event_id, total, currency, expires_at,
                                 idempotency_key, request_hash)
      values (${buyerId}, ${eventId}, 0, 'ARS', now() + interval '15 minutes',
              ${crypto.randomUUID()}, 'x') returning id`;
    await tx`insert into public.order_items (order_id, ticket_type_id, quantity, unit_price,
                                            held_until)
             values (${order.id}, ${typeId}, ${n}, 0, now() + interval '15 minutes')`;
    return true;
  });
}

dbTest("capacity cuts racing holds: capacity never ends below sold + held", async () => {
  const { sql } = await setupHarness();
  const event = await makeEvent(sql);
  const type = await makeTicketType(sql, event.id, { capacity: 30 });
  const buyer = await makeUser(sql);
  const admin = await as().asAdmin();
  const path = `/events/${event.id}/ticket-types/${type.id}`;
  const results = await Promise.all([
    ...Array.from({ length: 12 }, () => takeHold(sql, type.id, event.id, buyer.id, 2)),
    ...[24, 20, 16, 12, 8].map((capacity) => admin.put(path, { capacity })),
  ]);
  const puts = results.slice(12) as { status: number; body: { error?: { code: string } } }[];
  assert.ok(puts.every((r) => r.status === 200 || r.body.error?.code === "capacity_below_sold"));
  const [t] = await sql`select capacity, sold, public.ticket_type_held(id) as held
                         from public.ticket_types where id = ${type.id}`;
  assert.ok(t.capacity >= t.sold + t.held, JSON.stringify(t));
});
