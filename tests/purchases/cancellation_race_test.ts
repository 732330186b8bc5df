/**
 * Purchases and payments racing an event's cancellation: whatever commits
 * first, no order of a cancelled event ends paid, no ticket stays valid, and
 * every approved payment is refunded exactly once, in full.
 */
import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";
import { callers } from "../support/callers.ts";
import { makeBuyers, makeOrder } from "../support/purchase_builders.ts";
import { dbTest } from "../support/harness.ts";
import { eventOnSale, key, purchaseBody, purchaseEnv } from "./env.ts";
import { deliver } from "./webhook_support.ts";
import { refundsByPayment, sweepUntilDone } from "./cancellation_support.ts";

type Env = Awaited<ReturnType<typeof purchaseEnv>>;

const events = callers(createEventsApp());
const PAYING = 30;
const BUYING = 30;
const PRICE = 10_000;

/** An approved payment on the fake for the order, delivered as a webhook. */
async function pay(env: Env, orderId: string, total: number): Promise<number> {
  const paymentId = env.fake.addPayment({
    status: "approved",
    external_reference: orderId,
    transaction_amount: total / 100,
    currency_id: "ARS",
  });
  const delivered = await deliver(env.app, paymentId);
  assert.equal(delivered.status, 200, JSON.stringify(delivered.body));
  return paymentId;
}

async function raceOnce(env: Env, cancelAfter: number) {
  const { sql } = env;
  const { event, ticketType } = await eventOnSale(sql, { capacity: 500, price: PRICE });
  const buyers = await makeBuyers(sql, PAYING);
  const pending = await Promise.all(
    buyers.map((buyer) =>
      makeOrder(sql, {
        buyer,
        eventId: event.id,
        items: [{ ticketTypeId: ticketType.id, quantity: 2 }],
      })
    ),
  );
  const admin = await events.asAdmin();
  const shoppers = await Promise.all(Array.from({ length: BUYING }, () => env.asUser()));
  const payments: number[] = [];
  const payAll = (orders: typeof pending) =>
    Promise.all(orders.map(async (o) => payments.push(await pay(env, o.order_id, o.total))));
  const buyAll = (callers: typeof shoppers) =>
    Promise.all(
      callers.map((s) => s.post("/purchases", purchaseBody(event.id, ticketType.id, 2), key())),
    );
  const [before, during, after] = [0, 1, 2].map((i) =>
    pending.slice((i * PAYING) / 3, ((i + 1) * PAYING) / 3)
  );
  // A third paid before the cancellation; a third paid, and half the purchases made, while
  // it commits (it starts once `cancelAfter` of these payments are applied: 0, it mostly wins
  // the event's lock; half, the payments on their way mostly do); the rest after it.
  await payAll(before);
  const paidBefore = payments.length;
  let go: () => void;
  const started = new Promise<void>((resolve) => go = resolve);
  if (cancelAfter === 0) go!();
  const [cancelled, , racedPurchases] = await Promise.all([
    started.then(() => admin.post(`/events/${event.id}/cancel`, {})),
    Promise.all(during.map(async (o) => {
      payments.push(await pay(env, o.order_id, o.total));
      if (payments.length === paidBefore + cancelAfter) go();
    })),
    buyAll(shoppers.slice(0, BUYING / 2)),
  ]);
  assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
  await payAll(after);
  const refused = await buyAll(shoppers.slice(BUYING / 2));
  assert.deepEqual(
    [...new Set(refused.map((r) => `${r.status} ${r.body.error?.code}`))],
    ["409 event_not_on_sale"],
    "sales stopped when the cancellation committed",
  );
  const bought = racedPurchases.filter((r) => r.status === 201);
  // Half the buyers whose purchase got in pay late (after the cancellation committed); the
  // others walk away, their orders left pending.
  for (const r of bought.filter((_, i) => i % 2 === 0)) {
    payments.push(await pay(env, r.body.order_id, r.body.total));
  }
  await sweepUntilDone(sql, event.id);
  return { event, ticketType, payments, bought: bought.length };
}

dbTest(
  "payments and purchases racing a cancellation: nothing stays paid, each refunded once",
  async () => {
    const env = await purchaseEnv();
    const { sql, fake } = env;
    for (let round = 1; round <= 2; round++) {
      const { event, ticketType, payments, bought } = await raceOnce(
        env,
        round === 1 ? 0 : PAYING / 6,
      );
      const [books] = await sql<
        {
          paid: number;
          pending: number;
          held: number;
          valid: number;
          by_job: number;
          by_payment: number;
        }[]
      >`
      select count(*) filter (where o.status = 'paid')::int as paid,
             count(*) filter (where o.status = 'pending')::int as pending,
             public.ticket_type_held(${ticketType.id}) as held,
             (select count(*)::int from public.tickets t
               where t.event_id = ${event.id} and t.status = 'valid') as valid,
             (select count(*)::int from public.event_cancellation_orders j
               where j.event_id = ${event.id} and j.status = 'refunded') as by_job,
             count(*) filter (where o.status = 'refunded'
                                and not exists (select 1 from public.event_cancellation_orders j
                                                 where j.order_id = o.id))::int as by_payment
        from public.orders o where o.event_id = ${event.id}`;
      assert.equal(books.paid, 0, JSON.stringify(books));
      assert.deepEqual([books.pending, books.held], [0, 0], "unpaid orders cancelled, holds gone");
      assert.equal(books.valid, 0);
      assert.equal(books.by_job + books.by_payment, payments.length, JSON.stringify(books));
      assert.ok(books.by_job >= PAYING / 3, "those paid before the cancellation: by the job");
      assert.ok(books.by_payment >= PAYING / 3, "those paid after it: refunded on payment");
      const refunds = refundsByPayment(fake);
      for (const paymentId of payments) {
        const amount = fake.payment(paymentId)!.transaction_amount;
        assert.deepEqual(refunds.get(paymentId), [amount], `payment ${paymentId}`);
      }
      console.log(
        `round ${round}: ${payments.length} approved payments (${bought} purchases got in), ` +
          `${books.by_job} refunded by the cancellation job, ${books.by_payment} refunded on payment`,
      );
    }
  },
);
