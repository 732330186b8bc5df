/**
 * Orders as a database state machine (DESIGN.md invariant 7) and the held
 * counter: the status guard refuses moves outside public.order_transitions,
 * hand edits included; an expired hold gives way to a buyer at once; the
 * counter stays equal to the holds under a burst (the harness checks the
 * books after every test).
 */
import assert from "node:assert/strict";
import { dbTest } from "../support/harness.ts";
import { makeOrderWithTickets, makeUser, makeUsers } from "../support/builders.ts";
import { expireOrder, makeOrder } from "../support/purchase_builders.ts";
import { tally } from "../support/outcomes.ts";
import { eventOnSale, key, purchaseBody, purchaseEnv } from "./env.ts";

const pgCode = async (query: PromiseLike<unknown>) => {
  try {
    await query;
    return "ok";
  } catch (error) {
    const pg = error as { code?: string; constraint_name?: string };
    return `${pg.code} ${pg.constraint_name ?? ""}`.trim();
  }
};

dbTest("the database refuses an order status move outside order_transitions", async () => {
  const { sql } = await purchaseEnv();
  const { event, ticketType } = await eventOnSale(sql, { capacity: 10 });
  const buyer = await makeUser(sql);
  const paid = await makeOrderWithTickets(sql, { event, ticketType, buyer });
  const setStatus = (status: string) =>
    sql`update public.orders set status = ${status} where id = ${paid.orderId}`;
  const refused = "23514 orders_status_transition";
  // Studio-style hand edits backwards or sideways are refused…
  assert.equal(await pgCode(setStatus("pending")), refused);
  assert.equal(await pgCode(setStatus("expired")), refused);
  assert.equal(await pgCode(setStatus("cancelled")), refused);
  // …an allowed move is not, and from refunded nothing moves again.
  assert.equal(await pgCode(setStatus("refunded")), "ok");
  for (const status of ["paid", "pending", "failed", "expired", "cancelled"]) {
    assert.equal(await pgCode(setStatus(status)), refused, `refunded → ${status}`);
  }
  assert.equal(await pgCode(setStatus("refunded")), "ok", "no change is no move");
  // Every move names functions that exist.
  const missing = await sql`
    select t.from_status, t.to_status, f.name
      from public.order_transitions t, unnest(string_to_array(t.via, ', ')) as f (name)
     where to_regproc('public.' || f.name) is null`;
  assert.deepEqual([...missing], []);
});

dbTest(
  "a reservation finding no room releases the type's expired holds and takes the place",
  async () => {
    const { sql, app, asUser } = await purchaseEnv();
    const { event, ticketType } = await eventOnSale(sql, { capacity: 2 });
    const walkedAway = await makeOrder(sql, {
      buyer: await makeUser(sql),
      eventId: event.id,
      items: [{ ticketTypeId: ticketType.id, quantity: 2 }],
    });
    await expireOrder(sql, walkedAway.order_id); // not swept
    const buyer = await asUser();
    const res = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id, 2), key());
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const [type] =
      await sql`select held, sold from public.ticket_types where id = ${ticketType.id}`;
    assert.deepEqual({ ...type }, { held: 2, sold: 0 });
    // The walked-away order is still pending (its hold gone) until the sweep expires it.
    const [before] = await sql`select status from public.orders where id = ${walkedAway.order_id}`;
    assert.equal(before.status, "pending");
    const swept = await app.request("/purchases/sweep", {
      method: "POST",
      headers: { "x-scheduler-secret": "crodify-dev-scheduler-secret" },
    });
    assert.equal((await swept.json()).expired_orders, 1);
    const [after] = await sql`select status from public.orders where id = ${walkedAway.order_id}`;
    assert.equal(after.status, "expired");
    const audits = await sql`select action from public.audit_log
                            where entity_id = ${walkedAway.order_id} order by id`;
    assert.deepEqual(audits.map((a) => a.action), ["order.reserved", "order.expired"]);
  },
);

dbTest(
  "a burst over expired holds: exactly capacity holds, counter equal to the holds",
  async () => {
    const { sql } = await purchaseEnv();
    const onPostgres = Boolean(Deno.env.get("DATABASE_URL"));
    const capacity = onPostgres ? 40 : 8;
    const { event, ticketType } = await eventOnSale(sql, { capacity });
    // Half the places are held by orders whose holds have run out, unswept.
    for (const buyer of await makeUsers(sql, capacity / 2)) {
      const order = await makeOrder(sql, {
        buyer,
        eventId: event.id,
        items: [{ ticketTypeId: ticketType.id, quantity: 1 }],
      });
      await expireOrder(sql, order.order_id);
    }
    const buyers = await makeUsers(sql, capacity * 3);
    const outcomes = await Promise.all(
      buyers.map((buyer) =>
        sql`select public.reserve_tickets(p_buyer_id => ${buyer.id}, p_event_id => ${event.id},
          p_items => ${sql.json([{ ticket_type_id: ticketType.id, quantity: 1 }])},
          p_idempotency_key => ${crypto.randomUUID()}, p_request_hash => 'burst',
          p_hold_minutes => 15)`.then(() => "hold", (e) => e.code === "CRP01" ? "sold_out" : e.code)
      ),
    );
    assert.deepEqual(tally(outcomes), { hold: capacity, sold_out: capacity * 2 });
    const [type] = await sql`select held, sold, capacity from public.ticket_types
                            where id = ${ticketType.id}`;
    assert.deepEqual({ ...type }, { held: capacity, sold: 0, capacity });
  },
);
