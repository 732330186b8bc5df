/**
 * A slow payment (a cash voucher) for an order of a cancelled event: the
 * pending payment never moves the order to awaiting_payment (which would hold
 * its seats until the voucher's deadline); await_payment cancels it there and
 * then, as the cancellation job's rule for unsettled orders, and a voucher paid
 * after all is refunded once (pay_order, reason event_cancelled). Vouchers
 * reported while the cancellation holds the event wait for it (await_payment
 * reads the event FOR SHARE, as pay_order does) and never hold seats.
 */
import assert from "node:assert/strict";
import { dbTest } from "../support/harness.ts";
import { payWithSlowMethod } from "../support/fake_mercadopago_slow.ts";
import { rolledBack } from "../support/outcomes.ts";
import { key, purchaseBody, purchaseEnv } from "./env.ts";
import { notifier, slowEvent } from "./slow_payment_support.ts";
import { orderState } from "./webhook_support.ts";

type Env = Awaited<ReturnType<typeof purchaseEnv>>;

async function checkout(env: Env, eventId: string, typeId: string): Promise<string> {
  const res = await (await env.asUser()).post(
    "/purchases",
    purchaseBody(eventId, typeId, 2),
    key(),
  );
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.order_id;
}

const cancelEvent = (env: Env, eventId: string) =>
  env.sql`update public.events set status = 'cancelled' where id = ${eventId}`;

dbTest("a voucher pending for an order of a cancelled event cancels it, never awaits", async () => {
  const env = await purchaseEnv();
  const { sql, app, fake } = env;
  const { event, ticketType } = await slowEvent(sql, { type: { capacity: 4 } });
  const orderId = await checkout(env, event.id, ticketType.id);

  // The order commits just as the event is cancelled: the cancellation skips the order a
  // transaction holds (cancel_order, SKIP LOCKED), so it is still pending afterwards.
  await rolledBack(sql, async (holder) => {
    await holder`select 1 from public.orders where id = ${orderId} for update`;
    await cancelEvent(env, event.id);
  });
  assert.equal((await orderState(sql, orderId, ticketType.id)).status, "pending");

  // The buyer pays with a cash voucher: Mercado Pago reports it pending.
  const voucher = await payWithSlowMethod(fake, { orderId, notify: notifier(app) });
  assert.deepEqual(await orderState(sql, orderId, ticketType.id), {
    status: "cancelled",
    valid: 0,
    revoked: 0,
    sold: 0,
    held: 0,
  });
  const actions = (await sql<{ action: string }[]>`
    select action from public.audit_log where entity = 'order' and entity_id = ${orderId}
     order by id`).map((a) => a.action);
  assert.ok(actions.includes("order.cancelled"), actions.join());
  assert.ok(!actions.includes("order.awaiting_payment"), actions.join());
  const [order] = await sql`select failure_reason from public.orders where id = ${orderId}`;
  assert.equal(order.failure_reason, "event_cancelled");

  // The buyer pays the voucher all the same: refunded once, no tickets.
  await voucher.settle("approved");
  assert.equal((await orderState(sql, orderId, ticketType.id)).status, "refunded");
  const refunds = await sql`select reason, status from public.refunds where order_id = ${orderId}`;
  assert.deepEqual(refunds.map((r) => [r.reason, r.status]), [["event_cancelled", "requested"]]);
  const [{ total }] = await sql`select total from public.orders where id = ${orderId}`;
  assert.deepEqual(
    fake.refunds.filter((r) => r.payment_id === voucher.paymentId).map((r) => r.amount),
    [total / 100],
  );
}, { serverOnly: true }); // a second connection while one holds the order

dbTest("vouchers reported while their event is being cancelled: none awaits", async () => {
  const env = await purchaseEnv();
  const { sql, app, fake } = env;
  const ORDERS = 20;
  const { event, ticketType } = await slowEvent(sql, { type: { capacity: 2 * ORDERS } });
  const orderIds: string[] = [];
  for (let i = 0; i < ORDERS; i++) orderIds.push(await checkout(env, event.id, ticketType.id));

  // A cancellation holds the event (as the cancel does, FOR NO KEY UPDATE) while every
  // voucher is reported at once: each notification locks its order and waits for the event.
  // The cancellation then skips those orders (SKIP LOCKED) and commits; each waiting
  // notification sees the event cancelled and cancels its order itself.
  const notify = notifier(app);
  let vouchers: Promise<unknown> | undefined;
  let waiting = 0;
  await sql.begin(async (tx) => {
    await tx`select 1 from public.events where id = ${event.id} for no key update`;
    vouchers = Promise.all(orderIds.map((orderId) => payWithSlowMethod(fake, { orderId, notify })));
    for (let i = 0; i < 30 && waiting < ORDERS; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      [{ waiting }] = await sql<{ waiting: number }[]>`
        select count(*)::int as waiting from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock'
           and query like '%await_payment%'`;
    }
    await tx`update public.events set status = 'cancelled' where id = ${event.id}`;
  });
  await vouchers;
  console.log(`${waiting} of ${ORDERS} notifications waited for the cancellation`);
  assert.ok(waiting > 0, "the notifications raced the cancellation");

  const states = await sql<{ status: string; n: number }[]>`
    select status::text, count(*)::int as n from public.orders where event_id = ${event.id}
     group by status`;
  assert.deepEqual([...states], [{ status: "cancelled", n: ORDERS }]);
  const [{ held }] = await sql`select public.ticket_type_held(${ticketType.id}) as held`;
  assert.equal(held, 0);
  const audit = await sql<{ action: string; n: number }[]>`
    select action, count(*)::int as n from public.audit_log
     where entity = 'order' and entity_id = any (${sql.array(orderIds)}::text[])
       and action in ('order.awaiting_payment', 'order.cancelled')
     group by action`;
  assert.deepEqual([...audit], [{ action: "order.cancelled", n: ORDERS }], "none ever awaited");
}, { serverOnly: true }); // a transaction holding the event while others run
