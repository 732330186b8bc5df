/**
 * The reservation's shape under a flash sale (migration hold_queue): the
 * order's rows are written first and the holds taken last, each type's holds
 * queued on an advisory lock. Orders of two types listed in either order do not
 * deadlock, the foreign key moved to commit time is as strict as before, a
 * sold-out request writes nothing, and only a new reservation's commit skips
 * the wait for the disk.
 */
import assert from "node:assert/strict";
import { dbTest, setupHarness } from "../support/harness.ts";
import { makeEvent, makeTicketType, makeUsers } from "../support/builders.ts";
import { rolledBack, tally } from "../support/outcomes.ts";
import type { Sql } from "../../shared/db/mod.ts";

const onPostgres = Boolean(Deno.env.get("DATABASE_URL"));

type Line = { ticket_type_id: string; quantity: number };

function reserve(sql: Sql, buyerId: string, eventId: string, items: Line[]) {
  return sql`select public.reserve_tickets(p_buyer_id => ${buyerId}, p_event_id => ${eventId},
      p_items => ${sql.json(items)}, p_idempotency_key => ${crypto.randomUUID()},
      p_request_hash => 'queue', p_hold_minutes => 15)`
    .then(() => "hold", (e) => e.code === "CRP01" ? "sold_out" : `${e.code} ${e.message}`);
}

dbTest(
  "two ticket types listed in either order, bought at once: no deadlock, no oversell",
  async () => {
    const { sql } = await setupHarness();
    const capacity = onPostgres ? 30 : 6;
    const event = await makeEvent(sql);
    const a = await makeTicketType(sql, event.id, { name: "A", capacity });
    const b = await makeTicketType(sql, event.id, { name: "B", capacity });
    const buyers = await makeUsers(sql, capacity * 3);
    const outcomes = await Promise.all(buyers.map((buyer, i) => {
      const lines = [{ ticket_type_id: a.id, quantity: 1 }, { ticket_type_id: b.id, quantity: 1 }];
      return reserve(sql, buyer.id, event.id, i % 2 ? lines : lines.reverse());
    }));
    assert.deepEqual(tally(outcomes), { hold: capacity, sold_out: capacity * 2 });
    const types = await sql`select held from public.ticket_types where id in (${a.id}, ${b.id})`;
    assert.deepEqual(types.map((t) => t.held), [capacity, capacity]);
    const [{ orders }] = await sql`select count(*)::int as orders from public.orders
                                  where event_id = ${event.id}`;
    assert.equal(orders, capacity, "a refused request leaves no order behind");
  },
);

// These two hold a transaction open while another connection reserves: a server only.
dbTest("a sale on one type does not wait for another type's queue", async () => {
  const { sql } = await setupHarness();
  const event = await makeEvent(sql);
  const busy = await makeTicketType(sql, event.id, { name: "Busy", capacity: 10 });
  const free = await makeTicketType(sql, event.id, { name: "Free", capacity: 10 });
  const [first, second] = await makeUsers(sql, 2);
  await rolledBack(sql, async (tx) => {
    // A reservation of `busy` still open: its queue lock and row lock are taken.
    await tx`select public.take_hold(${busy.id}, 1)`;
    const outcome = await reserve(sql, first.id, event.id, [{
      ticket_type_id: free.id,
      quantity: 1,
    }]);
    assert.equal(outcome, "hold");
  });
  const [{ held }] = await sql`select held from public.ticket_types where id = ${free.id}`;
  assert.equal(held, 1);
  // And the queue of `busy` is free again once that transaction ended.
  assert.equal(
    await reserve(sql, second.id, event.id, [{ ticket_type_id: busy.id, quantity: 1 }]),
    "hold",
  );
}, { serverOnly: true });

dbTest(
  "order_items' ticket type is still checked: at commit, with the constraint's error",
  async () => {
    const { sql } = await setupHarness();
    const event = await makeEvent(sql);
    const [buyer] = await makeUsers(sql, 1);
    const error = await sql.begin(async (tx) => {
      const [order] = await tx`
      insert into public.orders (buyer_id, event_id, total, currency, expires_at,
                                 idempotency_key, request_hash)
      values (${buyer.id}, ${event.id}, 0, 'ARS', now() + interval '15 minutes',
              ${crypto.randomUUID()}, 'x') returning id`;
      await tx`insert into public.order_items (order_id, ticket_type_id, quantity, unit_price,
                                            held_until)
             values (${order.id}, ${crypto.randomUUID()}, 1, 0, now() + interval '15 minutes')`;
    }).then(() => undefined, (e) => e);
    assert.equal(error?.code, "23503", `expected a foreign key violation, got ${error}`);
    assert.equal(error?.constraint_name, "order_items_ticket_type_id_fkey");
    const [{ orders }] = await sql`select count(*)::int as orders from public.orders
                                  where event_id = ${event.id}`;
    assert.equal(orders, 0);
  },
);

dbTest("sold out: refused before anything is written or locked", async () => {
  const { sql } = await setupHarness();
  const event = await makeEvent(sql);
  const type = await makeTicketType(sql, event.id, { capacity: 1 });
  const [holder, late] = await makeUsers(sql, 2);
  const items = [{ ticket_type_id: type.id, quantity: 1 }];
  assert.equal(await reserve(sql, holder.id, event.id, items), "hold");
  const [before] = await sql`select last_value from public.audit_log_id_seq`;
  await rolledBack(sql, async (tx) => {
    // The type's row is locked by another transaction: a refusal does not wait for it.
    await tx`select 1 from public.ticket_types where id = ${type.id} for no key update`;
    assert.equal(await reserve(sql, late.id, event.id, items), "sold_out");
  });
  const [after] = await sql`select last_value from public.audit_log_id_seq`;
  assert.equal(after.last_value, before.last_value, "no audit row was even attempted");
}, { serverOnly: true });

dbTest(
  "a new reservation commits without waiting for the disk; a replay and other writes wait",
  async () => {
    const { sql } = await setupHarness();
    const event = await makeEvent(sql);
    const type = await makeTicketType(sql, event.id, { capacity: 5 });
    const [buyer] = await makeUsers(sql, 1);
    const call = (tx: Sql, key: string) =>
      tx`select public.reserve_tickets(p_buyer_id => ${buyer.id}, p_event_id => ${event.id},
        p_items => ${sql.json([{ ticket_type_id: type.id, quantity: 1 }])},
        p_idempotency_key => ${key}, p_request_hash => 'durable', p_hold_minutes => 15)`;
    const settingAfter = async (key: string) =>
      await sql.begin(async (tx) => {
        await call(tx as unknown as Sql, key);
        const [{ setting }] = await tx`select current_setting('synchronous_commit') as setting`;
        return setting;
      });
    assert.equal(await settingAfter("first"), "off", "the hold's commit is asynchronous");
    assert.equal(await settingAfter("first"), "on", "a replay writes nothing and changes nothing");
    // The checkout step's UPDATE (functions/purchases/purchase_service.ts) is an ordinary,
    // synchronous commit: it flushes the reservation's WAL before the buyer gets a 201.
    const [{ setting }] = await sql`select current_setting('synchronous_commit') as setting`;
    assert.equal(setting, "on");
  },
);
