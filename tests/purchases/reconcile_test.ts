import assert from "node:assert/strict";
import type { Sql } from "../../shared/db/mod.ts";
import { dbTest } from "../support/harness.ts";
import { expireOrder, makeBuyers, makeOrder } from "../support/purchase_builders.ts";
import { eventOnSale, purchaseEnv } from "./env.ts";
import { deliver } from "./webhook_support.ts";

type Env = Awaited<ReturnType<typeof purchaseEnv>>;

const sweep = async (app: Env["app"]) => {
  const res = await app.request("/purchases/sweep", {
    method: "POST",
    headers: { "x-scheduler-secret": "crodify-dev-scheduler-secret" },
  });
  assert.equal(res.status, 200);
  return await res.json();
};

// What Mercado Pago knows about each order (its webhooks all lost), and where it must end.
const FATES = [
  { fate: "approved", count: 110, status: "approved", expired: false, ends: "paid" },
  { fate: "late_approved", count: 20, status: "approved", expired: true, ends: "paid" },
  { fate: "rejected", count: 30, status: "rejected", expired: false, ends: "failed" },
  { fate: "cash_pending", count: 20, status: "pending", expired: false, ends: "pending" },
  { fate: "wrong_amount", count: 10, status: "approved", expired: false, ends: "pending" },
  { fate: "no_payment", count: 10, status: null, expired: false, ends: "pending" },
] as const;

async function snapshot(sql: Sql, eventId: string) {
  const [row] = await sql<
    {
      inbox: number;
      tickets: number;
      refunds: number;
      refunds_done: number;
      audits: number;
      mails: number;
    }[]
  >`
    select (select count(*)::int from public.payment_notifications) as inbox,
           (select count(*)::int from public.tickets where event_id = ${eventId}) as tickets,
           (select count(*)::int from public.refunds) as refunds,
           (select count(*)::int from public.refunds where status = 'succeeded') as refunds_done,
           (select count(*)::int from public.audit_log where action like 'order.%') as audits,
           (select count(*)::int from public.email_outbox) as mails`;
  const states = await sql<{ id: string; status: string }[]>`
    select id, status from public.orders where event_id = ${eventId} order by id`;
  return { ...row, states: states.map((s) => `${s.id}:${s.status}`) };
}

dbTest("webhooks lost for 200 orders: one reconciliation pass fixes all, once", async () => {
  const { sql, app, fake } = await purchaseEnv();
  const { event, ticketType } = await eventOnSale(sql, { capacity: 1000, price: 100_000 });
  const buyers = await makeBuyers(sql, 200);
  const orders: Array<{ id: string; fate: (typeof FATES)[number]; paymentId?: number }> = [];
  for (const fate of FATES) {
    for (let i = 0; i < fate.count; i++) {
      const order = await makeOrder(sql, {
        buyer: buyers[orders.length],
        eventId: event.id,
        items: [{ ticketTypeId: ticketType.id, quantity: 2 }],
      });
      if (fate.expired) await expireOrder(sql, order.order_id);
      const paymentId = fate.status === null ? undefined : fake.addPayment({
        status: fate.status,
        external_reference: order.order_id,
        transaction_amount: (order.total - (fate.fate === "wrong_amount" ? 100 : 0)) / 100,
        currency_id: "ARS",
      });
      orders.push({ id: order.order_id, fate, paymentId });
    }
  }
  // Noise the search must not confuse with our orders: a payment for another reference.
  fake.addPayment({
    status: "approved",
    external_reference: crypto.randomUUID(),
    transaction_amount: 2000,
    currency_id: "ARS",
  });

  const first = await sweep(app);
  assert.equal(first.reconciled_orders, 200, JSON.stringify(first));
  // Every payment found is new; the wrong amounts' refunds are then seen refunded too.
  assert.equal(first.reconciled_payments, 190);
  const states = new Map(
    (await sql<{ id: string; status: string }[]>`
      select id, status from public.orders where event_id = ${event.id}`).map((
      r,
    ) => [r.id, r.status]),
  );
  for (const order of orders) assert.equal(states.get(order.id), order.fate.ends, order.fate.fate);
  const tickets = await sql<{ order_id: string; n: number }[]>`
    select order_id, count(*)::int as n from public.tickets where event_id = ${event.id}
     group by order_id`;
  assert.equal(tickets.length, 130, "tickets for each paid order");
  assert.ok(tickets.every((t) => t.n === 2), "two tickets each, issued once");
  const [{ sold }] = await sql`select sold from public.ticket_types where id = ${ticketType.id}`;
  assert.equal(sold, 260);
  const [{ paid }] = await sql`select count(*)::int as paid from public.audit_log
                               where action = 'order.paid'`;
  assert.equal(paid, 130, "each order paid once");
  const wrong = orders.filter((o) => o.fate.fate === "wrong_amount").map((o) => o.paymentId);
  assert.deepEqual(
    fake.refunds.map((r) => r.payment_id).sort(),
    wrong.sort(),
    "only the wrong amounts are refunded, once each",
  );
  const [{ confirmations }] = await sql`
    select count(*)::int as confirmations from public.email_outbox
     where template = 'order_confirmation'`;
  assert.equal(confirmations, 130, "one confirmation mail per paid order");

  // A second pass over every order (all made due again) moves nothing: no state, ticket,
  // mail or money. Its only news is Mercado Pago confirming the 10 refunds we asked for.
  const before = await snapshot(sql, event.id);
  await sql`update public.payment_reconciliations set next_attempt_at = now()`;
  const second = await sweep(app);
  assert.equal(second.reconciled_orders, 70, "the 70 orders still without news are asked again");
  assert.equal(second.reconciled_payments, 10, "the refunds, now seen refunded");
  const confirmed = await snapshot(sql, event.id);
  assert.deepEqual(
    { ...confirmed, inbox: before.inbox, refunds_done: before.refunds_done },
    before,
  );
  assert.equal(confirmed.refunds_done, before.refunds_done + 10);
  assert.equal(fake.refunds.length, wrong.length, "no refund asked twice");
  // A third pass finds nothing new at all, and a webhook arriving late is a duplicate.
  await sql`update public.payment_reconciliations set next_attempt_at = now()`;
  assert.equal((await sweep(app)).reconciled_payments, 0);
  assert.deepEqual(await snapshot(sql, event.id), confirmed);
  const late = orders.find((o) => o.fate.fate === "approved")!;
  assert.equal((await deliver(app, late.paymentId!)).body.state, "processed");
  assert.deepEqual({ ...(await snapshot(sql, event.id)), inbox: confirmed.inbox }, confirmed);
});

/** One pending one-ticket order and its approved payment, known only to Mercado Pago. */
async function pendingOrderApprovedAtProvider(
  sql: Awaited<ReturnType<typeof purchaseEnv>>["sql"],
  fake: Awaited<ReturnType<typeof purchaseEnv>>["fake"],
) {
  const { event, ticketType } = await eventOnSale(sql, { capacity: 10 });
  const [buyer] = await makeBuyers(sql, 1);
  const order = await makeOrder(sql, {
    buyer,
    eventId: event.id,
    items: [{ ticketTypeId: ticketType.id, quantity: 1 }],
  });
  const paymentId = fake.addPayment({
    status: "approved",
    external_reference: order.order_id,
    transaction_amount: order.total / 100,
    currency_id: "ARS",
  });
  return { order, paymentId };
}

dbTest("Mercado Pago search down: the order is retried with backoff, nothing lost", async () => {
  const { sql, app, fake } = await purchaseEnv();
  const { order } = await pendingOrderApprovedAtProvider(sql, fake);
  fake.fail("search", 503);
  const down = await sweep(app);
  assert.equal(down.reconciled_orders, 0);
  const [row] = await sql`select attempts, last_error,
                                 next_attempt_at > now() + interval '10 seconds' as backed_off
                            from public.payment_reconciliations where order_id = ${order.order_id}`;
  assert.equal(row.attempts, 1);
  assert.match(row.last_error, /payment_provider_unavailable/);
  assert.equal(row.backed_off, true);
  fake.reset();
  assert.equal((await sweep(app)).reconciled_orders, 0, "not before its backoff is over");
  await sql`update public.payment_reconciliations set next_attempt_at = now()
             where order_id = ${order.order_id}`;
  const up = await sweep(app);
  assert.deepEqual([up.reconciled_orders, up.reconciled_payments], [1, 1]);
  const [paid] = await sql`select status from public.orders where id = ${order.order_id}`;
  assert.equal(paid.status, "paid");
  await sweep(app);
  const gone = await sql`select 1 from public.payment_reconciliations
                          where order_id = ${order.order_id}`;
  assert.equal(gone.length, 0, "the next pass drops the paid order from the queue");
});

dbTest("an order paid without a recorded payment gets its payment, not a refund", async () => {
  const { sql, app, fake } = await purchaseEnv();
  const { order, paymentId } = await pendingOrderApprovedAtProvider(sql, fake);
  await deliver(app, paymentId);
  // As a hand edit in Studio would leave it: paid, the payment forgotten.
  await sql`update public.orders set provider_payment_id = null where id = ${order.order_id}`;
  const swept = await sweep(app);
  assert.ok(swept.reconciled_payments >= 1, JSON.stringify(swept));
  const [row] = await sql`select status, provider_payment_id from public.orders
                           where id = ${order.order_id}`;
  assert.deepEqual({ ...row }, { status: "paid", provider_payment_id: String(paymentId) });
  assert.equal(fake.refunds.filter((r) => r.payment_id === paymentId).length, 0);
  const refunds = await sql`select 1 from public.refunds where order_id = ${order.order_id}`;
  assert.equal(refunds.length, 0);
});
