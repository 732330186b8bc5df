/**
 * Slow payments at scale: many orders awaiting vouchers beside a flash sale
 * never oversell (their seats stay reserved, and come back exactly once when
 * a voucher expires or its deadline passes), and reconciliation finds
 * vouchers whose webhooks were lost without moving any order twice. The
 * harness checks the held counter against the holds after each test.
 */
import assert from "node:assert/strict";
import type { Sql } from "../../shared/db/mod.ts";
import { dbTest } from "../support/harness.ts";
import { expireOrder, makeBuyers, makeOrder } from "../support/purchase_builders.ts";
import { key, purchaseBody, purchaseEnv } from "./env.ts";
import { notifier, slowEvent, sweep } from "./slow_payment_support.ts";

type Env = Awaited<ReturnType<typeof purchaseEnv>>;

/** `count` one-ticket orders, each with a voucher pending at the fake (not notified yet). */
async function ordersWithVouchers(env: Env, eventId: string, typeId: string, count: number) {
  const buyers = await makeBuyers(env.sql, count);
  const orders: Array<{ orderId: string; paymentId: number }> = [];
  for (const buyer of buyers) {
    const order = await makeOrder(env.sql, {
      buyer,
      eventId,
      items: [{ ticketTypeId: typeId, quantity: 1 }],
    });
    const paymentId = env.fake.addPayment({
      status: "pending",
      status_detail: "pending_waiting_payment",
      external_reference: order.order_id,
      transaction_amount: order.total / 100,
      currency_id: "ARS",
      payment_type_id: "ticket",
      payment_method_id: "pagofacil",
      date_of_expiration: new Date(Date.now() + 2 * 86_400_000).toISOString(),
    });
    orders.push({ orderId: order.order_id, paymentId });
  }
  return orders;
}

/** Fires `count` one-ticket purchases by new buyers at once; returns the answers' codes. */
async function flashSale(env: Env, eventId: string, typeId: string, count: number) {
  const buyers = await Promise.all(Array.from({ length: count }, () => env.asUser()));
  const answers = await Promise.all(
    buyers.map((b) => b.post("/purchases", purchaseBody(eventId, typeId, 1), key())),
  );
  const codes = answers.map((a) => a.status === 201 ? "201" : `${a.status} ${a.body.error?.code}`);
  const unexpected = codes.filter((c) => !["201", "409 sold_out", "503 busy"].includes(c));
  assert.deepEqual(unexpected, [], "only holds, sold_out and busy");
  return {
    won: answers.filter((a) => a.status === 201).map((a) => a.body.order_id as string),
    busy: codes.filter((c) => c === "503 busy").length,
  };
}

async function books(sql: Sql, typeId: string) {
  const [row] = await sql<{ capacity: number; sold: number; held: number; tickets: number }[]>`
    select t.capacity, t.sold, t.held,
           (select count(*)::int from public.tickets where ticket_type_id = t.id
             and status = 'valid') as tickets
      from public.ticket_types t where t.id = ${typeId}`;
  return row;
}

async function statuses(sql: Sql, ids: string[]) {
  const rows = await sql<{ status: string; n: number }[]>`
    select status, count(*)::int as n from public.orders where id = any(${ids}::uuid[])
     group by status order by status`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

dbTest(
  "40 orders awaiting vouchers and a 100-buyer flash sale: never oversold, no seat lost",
  async () => {
    const env = await purchaseEnv();
    const { sql, app } = env;
    const capacity = 60;
    const { event, ticketType } = await slowEvent(sql, { type: { capacity } });
    const vouchers = await ordersWithVouchers(env, event.id, ticketType.id, 40);
    // Every voucher's "pending" notification at once.
    await Promise.all(vouchers.map((v) => notifier(app)(v.paymentId)));
    assert.deepEqual(await statuses(sql, vouchers.map((v) => v.orderId)), { awaiting_payment: 40 });

    // The flash sale gets the 20 seats left, never one of the 40 reserved.
    const first = await flashSale(env, event.id, ticketType.id, 100);
    assert.ok(first.won.length <= 20, `${first.won.length} holds for 20 seats`);
    if (first.busy === 0) assert.equal(first.won.length, 20);
    let b = await books(sql, ticketType.id);
    assert.deepEqual([b.sold, b.held], [0, 40 + first.won.length]);

    // At once: 20 vouchers paid, 10 expire unpaid, 10 outlive their deadline (the sweep),
    // and 60 more buyers try for whatever comes back.
    const [paid, lapsed, overdue] = [
      vouchers.slice(0, 20),
      vouchers.slice(20, 30),
      vouchers.slice(30),
    ];
    for (const v of paid) env.fake.setPaymentStatus(v.paymentId, "approved", "accredited");
    for (const v of lapsed) env.fake.setPaymentStatus(v.paymentId, "cancelled", "expired");
    for (const v of overdue) await expireOrder(sql, v.orderId);
    const [, , second] = await Promise.all([
      Promise.all([...paid, ...lapsed].map((v) => notifier(app)(v.paymentId))),
      sweep(app),
      flashSale(env, event.id, ticketType.id, 60),
    ]);
    await sweep(app); // whatever the racing sweep found locked
    assert.deepEqual(await statuses(sql, vouchers.map((v) => v.orderId)), {
      expired: 10,
      failed: 10,
      paid: 20,
    });
    b = await books(sql, ticketType.id);
    assert.equal(b.sold, 20, "a ticket for each paid voucher");
    assert.equal(b.tickets, 20);
    const holders = first.won.length + second.won.length;
    assert.ok(second.won.length <= 20, `${second.won.length} holds for 20 seats back`);
    assert.equal(b.held, holders, "each flash winner holds one seat");
    assert.ok(b.sold + b.held <= capacity);

    // What is left is exactly what the books say: buyers one by one fill it, then sold out.
    const rest = capacity - b.sold - b.held;
    for (let i = 0; i < rest; i++) {
      const res = await (await env.asUser()).post(
        "/purchases",
        purchaseBody(event.id, ticketType.id, 1),
        key(),
      );
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const last = await (await env.asUser()).post(
      "/purchases",
      purchaseBody(event.id, ticketType.id, 1),
      key(),
    );
    assert.equal(last.body.error?.code, "sold_out");
    b = await books(sql, ticketType.id);
    assert.equal(b.sold + b.held, capacity);
  },
);

dbTest(
  "vouchers whose webhooks were lost: reconciliation holds, then settles, each once",
  async () => {
    const env = await purchaseEnv();
    const { sql, app, fake } = env;
    const { event, ticketType } = await slowEvent(sql, { type: { capacity: 30 } });
    const vouchers = await ordersWithVouchers(env, event.id, ticketType.id, 30);
    const ids = vouchers.map((v) => v.orderId);
    // No webhook at all: the sweep's reconciliation finds the pending vouchers.
    const first = await sweep(app);
    assert.equal(first.reconciled_payments, 30, JSON.stringify(first));
    assert.deepEqual(await statuses(sql, ids), { awaiting_payment: 30 });
    // Still no webhook: 20 are paid and 10 expire at Mercado Pago.
    vouchers.slice(0, 20).forEach((v) =>
      fake.setPaymentStatus(v.paymentId, "approved", "accredited")
    );
    vouchers.slice(20).forEach((v) => fake.setPaymentStatus(v.paymentId, "cancelled", "expired"));
    await sql`update public.payment_reconciliations set next_attempt_at = now()
             where order_id = any(${ids}::uuid[])`;
    const second = await sweep(app);
    assert.equal(second.reconciled_payments, 30, JSON.stringify(second));
    assert.deepEqual(await statuses(sql, ids), { failed: 10, paid: 20 });
    const snapshot = async () => {
      const [row] = await sql`
      select (select count(*)::int from public.tickets where event_id = ${event.id}) as tickets,
             (select count(*)::int from public.email_outbox) as mails,
             (select count(*)::int from public.audit_log where action like 'order.%'
               and entity_id = any(${ids}::text[])) as audits,
             (select count(*)::int from public.refunds) as refunds`;
      return { ...row };
    };
    const before = await snapshot();
    assert.equal(before.tickets, 20);
    assert.equal(
      before.audits,
      30 * 3,
      "reserved, awaiting_payment, then paid or failed: once each",
    );
    // A further pass, and every webhook arriving late, change nothing.
    await sql`update public.payment_reconciliations set next_attempt_at = now()
             where order_id = any(${ids}::uuid[])`;
    assert.equal((await sweep(app)).reconciled_payments, 0);
    await Promise.all(vouchers.map((v) => notifier(app)(v.paymentId)));
    assert.deepEqual(await snapshot(), before);
    assert.deepEqual(await statuses(sql, ids), { failed: 10, paid: 20 });
  },
);
