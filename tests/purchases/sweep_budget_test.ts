/**
 * The sweep within its request's deadline (the production 10 s). With Mercado
 * Pago slow (every search, payment read and refund waits 400 ms) and every
 * step with work — holds to expire, refunds to retry, failed notifications,
 * an event cancellation, payments to reconcile — one call answers 200 in
 * time with each step's progress and `more_to_do`, every step having done some
 * of its work; repeated calls finish it all, nothing done twice (one payment
 * per order, one refund per payment). With refunds hanging, the steps after
 * them still run and the pass still answers in time.
 */
import assert from "node:assert/strict";
import { resetConfigForTests } from "../../shared/config.ts";
import { paymentProvider } from "../../shared/payments/mod.ts";
import { runSweep } from "../../functions/purchases/sweep_service.ts";
import { dbTest } from "../support/harness.ts";
import { expireOrder, makeBuyers, makeOrder } from "../support/purchase_builders.ts";
import { refundsByPayment, seedPaidOrders } from "./cancellation_support.ts";
import { eventOnSale, purchaseEnv } from "./env.ts";
import { deliver } from "./webhook_support.ts";

type Env = Awaited<ReturnType<typeof purchaseEnv>>;
type Pass = Awaited<ReturnType<typeof sweep>>;

const DEADLINE_MS = 10_000;
const PRICE = 100_000;
const SLOW_MS = 400;
// Timing against a deadline needs a server: the embedded PGlite runs in this process's event loop.
const SERVER_ONLY = { serverOnly: true };
const STEPS = ["expire_holds", "refunds", "notifications", "cancellations", "reconciliation"];

async function sweep(env: Env) {
  const started = performance.now();
  const res = await env.app.request("/purchases/sweep", {
    method: "POST",
    headers: { "x-scheduler-secret": "crodify-dev-scheduler-secret" },
  });
  const ms = performance.now() - started;
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.ok(ms < DEADLINE_MS, `answered in ${ms} ms`);
  return { body, ms };
}

/** Sweeps until a pass reports nothing left; returns how many passes it took. */
async function sweepUntilDone(env: Env, first: Pass): Promise<number> {
  let passes = 1;
  for (let last = first; last.body.more_to_do; passes++) {
    assert.ok(passes < 15, `still work left after ${passes} passes`);
    last = await sweep(env);
  }
  return passes;
}

/** The sweep's requests get the production deadline; Mercado Pago stays the fake. */
function productionDeadline(env: Env): void {
  resetConfigForTests({
    ...env.env,
    MERCADOPAGO_ACCESS_TOKEN: "TEST-crodify-fake-token",
    MERCADOPAGO_BASE_URL: env.fake.url,
    REQUEST_DEADLINE_MS: String(DEADLINE_MS),
  });
}

/** A cancelled event with `orders` paid orders (the cancellation's job rows are due). */
async function cancelledEvent(env: Env, orders: number) {
  const { event, ticketType } = await eventOnSale(env.sql, { capacity: 1000, price: PRICE });
  const paid = await seedPaidOrders(env.sql, env.fake, {
    eventId: event.id,
    ticketTypeId: ticketType.id,
    price: PRICE,
  }, { orders, buyers: orders, ticketsEach: 1 });
  await env.sql`update public.events set status = 'cancelled' where id = ${event.id}`;
  return paid;
}

/** A cancelled event whose `orders` refunds Mercado Pago refused, due again now. */
async function refusedRefunds(env: Env, orders: number) {
  const paid = await cancelledEvent(env, orders);
  env.fake.fail("refunds", 500);
  await runSweep(env.sql, paymentProvider());
  env.fake.reset();
  const due = await env.sql`update public.refunds set next_attempt_at = now()
                             where status = 'pending' returning id`;
  assert.equal(due.length, orders);
  return paid;
}

/** `count` pending orders of one event, each with an approved payment we never heard of. */
async function unheardPayments(env: Env, count: number, eventId: string, ticketTypeId: string) {
  const buyers = await makeBuyers(env.sql, count);
  const orders: Array<{ orderId: string; paymentId: number }> = [];
  for (const buyer of buyers) {
    const made = await makeOrder(env.sql, {
      buyer,
      eventId,
      items: [{ ticketTypeId, quantity: 2 }],
    });
    const paymentId = env.fake.addPayment({
      status: "approved",
      external_reference: made.order_id,
      transaction_amount: made.total / 100,
      currency_id: "ARS",
    });
    orders.push({ orderId: made.order_id, paymentId });
  }
  return orders;
}

/** Asserts each payment was refunded exactly once, in full. */
function refundedOnce(env: Env, paymentIds: number[]): void {
  const byPayment = refundsByPayment(env.fake);
  for (const paymentId of paymentIds) {
    assert.deepEqual(byPayment.get(paymentId), [PRICE / 100], `payment ${paymentId} refunded once`);
  }
}

dbTest(
  "Mercado Pago slow: each pass answers in time, every step progresses, all done once",
  async () => {
    const env = await purchaseEnv();
    const { sql, fake } = env;
    const REFUSED = 16;
    const CANCELLED = 60;
    const PAYING = 80;
    const EXPIRING = 10;

    const refused = await refusedRefunds(env, REFUSED);
    const cancelled = await cancelledEvent(env, CANCELLED);
    const { event, ticketType } = await eventOnSale(sql, { capacity: 1000, price: PRICE });
    const paying = await unheardPayments(env, PAYING, event.id, ticketType.id);
    // A quarter of them were notified while Mercado Pago failed: the inbox retries those.
    fake.fail("payments", 503);
    for (const { paymentId } of paying.slice(0, PAYING / 4)) {
      assert.equal((await deliver(env.app, paymentId)).status, 200);
    }
    fake.reset();
    await sql`update public.payment_notifications set next_attempt_at = now()
             where state <> 'processed'`;
    const expiring = await makeBuyers(sql, EXPIRING);
    for (const buyer of expiring) {
      const made = await makeOrder(sql, {
        buyer,
        eventId: event.id,
        items: [{ ticketTypeId: ticketType.id, quantity: 1 }],
      });
      await expireOrder(sql, made.order_id);
    }
    for (const route of ["search", "payments", "refunds"] as const) fake.delay(route, SLOW_MS);
    productionDeadline(env);

    const first = await sweep(env);
    console.log(`first pass: ${Math.round(first.ms)} ms`, JSON.stringify(first.body.steps));
    assert.equal(first.body.more_to_do, true, "a partial pass says so");
    assert.deepEqual(Object.keys(first.body.steps), STEPS);
    for (const name of STEPS) {
      assert.ok(first.body.steps[name].done > 0, `${name} did some of its work`);
    }
    assert.equal(first.body.steps.expire_holds.done, EXPIRING);
    assert.ok(STEPS.some((name) => first.body.steps[name].left > 0), "a step reports work left");
    console.log(`done after ${await sweepUntilDone(env, first)} passes`);

    // Every payment applied once: each order paid once, two tickets each.
    const states = await sql<{ status: string; n: number }[]>`
    select status::text, count(*)::int as n from public.orders where event_id = ${event.id}
     group by status order by status`;
    assert.deepEqual([...states], [
      { status: "expired", n: EXPIRING },
      { status: "paid", n: PAYING },
    ]);
    const payingIds = paying.map((p) => p.orderId);
    const [{ paidOnce, tickets }] = await sql`
    select (select count(*)::int from public.audit_log
             where action = 'order.paid' and entity_id = any (${sql.array(payingIds)}::text[]))
             as "paidOnce",
           (select count(*)::int from public.tickets where event_id = ${event.id}) as tickets`;
    assert.equal(paidOnce, PAYING, "each order paid exactly once");
    assert.equal(tickets, 2 * PAYING);

    // Every cancelled order refunded once, at Mercado Pago and in the books.
    const refundedOrders = [...refused.orderIds, ...cancelled.orderIds];
    const [{ refunded, rows }] = await sql`
    select (select count(*)::int from public.orders
             where id = any (${sql.array(refundedOrders)}::uuid[]) and status = 'refunded')
             as refunded,
           (select count(*)::int from public.refunds
             where order_id = any (${sql.array(refundedOrders)}::uuid[])
               and status = 'requested') as rows`;
    assert.equal(refunded, REFUSED + CANCELLED);
    assert.equal(rows, REFUSED + CANCELLED, "one requested refund row per order");
    refundedOnce(env, [...refused.paymentIds, ...cancelled.paymentIds]);
    assert.equal(fake.refunds.length, REFUSED + CANCELLED, "no other refund");
    const [{ running }] = await sql`
    select count(*)::int as running from public.event_cancellations where status <> 'done'`;
    assert.equal(running, 0);
  },
);

dbTest("Mercado Pago's refunds hanging: the steps after them still run, in time", async () => {
  const env = await purchaseEnv();
  const { sql, fake } = env;
  const refused = await refusedRefunds(env, 8);
  const { event, ticketType } = await eventOnSale(sql, { capacity: 1000, price: PRICE });
  await unheardPayments(env, 10, event.id, ticketType.id);
  // Longer than a whole pass: unbounded, the refunds step alone would take the deadline.
  const HANG_MS = DEADLINE_MS + 2_000;
  fake.delay("refunds", HANG_MS);
  productionDeadline(env);

  const hung = await sweep(env);
  const hungAt = performance.now();
  console.log(`hung pass: ${Math.round(hung.ms)} ms`, JSON.stringify(hung.body.steps));
  assert.equal(hung.body.steps.refunds.done, 0);
  assert.ok(hung.body.steps.refunds.left > 0 || hung.body.more_to_do);
  assert.ok(hung.body.steps.refunds.ms < DEADLINE_MS / 2, "the refunds step kept to its part");
  assert.equal(hung.body.steps.reconciliation.done, 10, "the steps after it still ran");
  const [{ paid }] = await sql`select count(*)::int as paid from public.orders
                                where event_id = ${event.id} and status = 'paid'`;
  assert.equal(paid, 10);

  // Mercado Pago answers again; the refunds given up in time are asked again, same keys.
  fake.reset();
  await sql`update public.refunds set next_attempt_at = now() where status = 'pending'`;
  await sweepUntilDone(env, await sweep(env));
  // The hung calls reach the fake's handler after all: it answers them with the same refunds.
  const stillHung = HANG_MS - (performance.now() - hungAt);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, stillHung) + 500));
  refundedOnce(env, refused.paymentIds);
  const [{ open }] = await sql`select count(*)::int as open from public.refunds
                                where status <> 'requested'`;
  assert.equal(open, 0);
}, SERVER_ONLY);
