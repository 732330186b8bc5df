/** Staff assignment and event stats. */
import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";
import { getEventStats } from "../../functions/events/stats_service.ts";
import type { Sql } from "../../shared/db/mod.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callers } from "../support/callers.ts";
import { makeEvent, makeUser } from "../support/builders.ts";
import { makeHold, makePaidOrder, makeTicketType } from "../support/events_builders.ts";
import { rolledBack } from "../support/outcomes.ts";

const as = () => callers(createEventsApp());

dbTest(
  "admins assign, re-role and remove staff; coordinators see the list; all audited",
  async () => {
    const { sql } = await setupHarness();
    const event = await makeEvent(sql);
    const admin = await as().asAdmin();
    const person = await makeUser(sql);
    const base = `/events/${event.id}/staff`;
    const assigned = await admin.post(base, { user_id: person.id, role: "scanner" });
    assert.equal(assigned.status, 201, JSON.stringify(assigned.body));
    assert.deepEqual([assigned.body.role, assigned.body.email], ["scanner", person.email]);
    const promoted = await admin.post(base, { user_id: person.id, role: "coordinator" });
    assert.equal(promoted.status, 200);
    assert.equal(promoted.body.role, "coordinator");
    // The new coordinator can now act on the event (staff is read per request, not from the JWT).
    const asPerson = await as().as(person);
    const list = await asPerson.get(base);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items.map((s: { user_id: string }) => s.user_id), [person.id]);
    assert.equal((await admin.delete(`${base}/${person.id}`)).status, 204);
    assert.equal((await asPerson.get(base)).status, 403);
    const again = await admin.delete(`${base}/${person.id}`);
    assert.equal(again.body.error.code, "staff_not_found");
    const actions = await sql<{ action: string; actor_id: string }[]>`
    select action, actor_id from public.audit_log
     where entity = 'event_staff' and entity_id = ${`${event.id}:${person.id}`} order by id`;
    assert.deepEqual(actions.map((a) => a.action), [
      "event_staff.assigned",
      "event_staff.assigned",
      "event_staff.removed",
    ]);
    assert.ok(actions.every((a) => a.actor_id === admin.user!.id));
  },
);

async function soldEvent(sql: Sql) {
  const event = await makeEvent(sql);
  const vip = await makeTicketType(sql, event.id, { name: "VIP", capacity: 10, sortOrder: 1 });
  const floor = await makeTicketType(sql, event.id, { name: "Floor", capacity: 50, sortOrder: 2 });
  const buyer = await makeUser(sql);
  const spec = { buyerId: buyer.id, eventId: event.id };
  await makePaidOrder(sql, { ...spec, ticketTypeId: vip.id, quantity: 3, unitPrice: 10_000 });
  await makePaidOrder(sql, { ...spec, ticketTypeId: floor.id, quantity: 2, unitPrice: 2_500 });
  await makeHold(sql, { ...spec, ticketTypeId: floor.id, quantity: 4, unitPrice: 2_500 });
  await makeHold(sql, { ...spec, ticketTypeId: vip.id, quantity: 5, unitPrice: 1 }, -1);
  return { event, vip, floor };
}

dbTest(
  "stats: capacity, sold, held, revenue of paid orders, check-ins",
  async () => {
    const { sql } = await setupHarness();
    const { event, vip } = await soldEvent(sql);
    // One VIP ticket admitted and still inside (as the tickets domain records a scan).
    await sql`update public.tickets set entries = 1, checked_in_at = now(), inside = true
               where id = (select id from public.tickets where ticket_type_id = ${vip.id} limit 1)`;
    const coordinator = await as().asCoordinator(event.id);
    const { status, body } = await coordinator.get(`/events/${event.id}/stats`);
    assert.equal(status, 200, JSON.stringify(body));
    const rows = body.ticket_types.map((t: Record<string, unknown>) => [
      t.name,
      t.capacity,
      t.sold,
      t.held,
      t.available,
      t.revenue,
      t.checked_in,
      t.inside,
    ]);
    assert.deepEqual(rows, [
      ["VIP", 10, 3, 0, 7, 30_000, 1, 1],
      ["Floor", 50, 2, 4, 44, 5_000, 0, 0],
    ]);
    assert.deepEqual(body.totals, {
      capacity: 60,
      sold: 5,
      held: 4,
      available: 51,
      revenue: 35_000,
      checked_in: 1,
      inside: 1,
    });
    assert.deepEqual([body.by_gate, body.offline_conflicts], [{}, 0]);
  },
);

dbTest("stats merge what event_checkin_stats() reports (the tickets domain's body)", async () => {
  const { sql } = await setupHarness();
  const { event, vip } = await soldEvent(sql);
  // Replaced inside a transaction that is rolled back, so no other test sees the fake body.
  await rolledBack(sql, async (tx) => {
    await tx.unsafe(`create or replace function public.event_checkin_stats(p_event_id uuid)
      returns jsonb language sql stable set search_path = '' as $$
        select jsonb_build_object('checked_in_by_type', jsonb_build_object('${vip.id}', 2),
                                  'inside_by_type', jsonb_build_object('${vip.id}', 1),
                                  'by_gate', '{"north": 2}'::jsonb, 'offline_conflicts', 1) $$`);
    const stats = await getEventStats(tx, event.id);
    assert.deepEqual(stats.ticket_types.map((t) => t.checked_in), [2, 0]);
    assert.equal(stats.totals.checked_in, 2);
    assert.deepEqual(stats.ticket_types.map((t) => t.inside), [1, 0]);
    assert.deepEqual(stats.by_gate, { north: 2 });
    assert.equal(stats.offline_conflicts, 1);
  });
});
