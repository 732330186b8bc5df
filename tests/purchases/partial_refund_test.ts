import assert from "node:assert/strict";
import { dbTest } from "../support/harness.ts";
import { purchaseEnv } from "./env.ts";
import { deliver, orderAwaitingPayment, orderState } from "./webhook_support.ts";

type Env = Awaited<ReturnType<typeof purchaseEnv>>;

/** A paid order of three tickets at ARS 1.000,00 each, paid through the fake Mercado Pago. */
async function paidThree(env: Env) {
  const made = await orderAwaitingPayment(env.sql, env.fake, { quantity: 3, price: 100_000 });
  env.fake.setPaymentStatus(made.paymentId, "approved");
  await deliver(env.app, made.paymentId);
  const tickets = (await env.sql<{ id: string }[]>`
    select id from public.tickets where order_id = ${made.order.order_id} order by issue_seq`)
    .map((t) => t.id);
  return { ...made, tickets };
}

const notices = async (sql: Env["sql"], orderId: string) =>
  (await sql<{ amount: number }[]>`
    select (data ->> 'amount')::int as amount from public.email_outbox
     where template = 'refund_notice' and data ->> 'order_id' = ${orderId}
     order by created_at`).map((r) => r.amount);

dbTest("some tickets refunded: revoked, places back, Mercado Pago's partial refund", async () => {
  const env = await purchaseEnv();
  const { sql, fake } = env;
  const { order, ticketType, paymentId, tickets } = await paidThree(env);
  const admin = await env.asAdmin();
  const first = await admin.post(`/purchases/${order.order_id}/refunds`, {
    ticket_ids: [tickets[0]],
  });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  assert.equal(first.body.status, "paid");
  assert.equal(first.body.refunded_amount, 100_000);
  assert.deepEqual(first.body.tickets_revoked, [tickets[0]]);
  assert.deepEqual(
    { amount: first.body.refund.amount, status: first.body.refund.status },
    { amount: 100_000, status: "requested" },
  );
  assert.deepEqual(await orderState(sql, order.order_id, ticketType.id), {
    status: "paid",
    valid: 2,
    revoked: 1,
    sold: 2,
    held: 0,
  });
  const calls = () => fake.refunds.filter((r) => r.payment_id === paymentId);
  assert.deepEqual(calls().map((r) => [r.amount, r.idempotency_key]), [
    [1000, first.body.refund.id],
  ]);
  assert.equal(fake.payment(paymentId)!.status, "approved", "a partial refund keeps it approved");
  // The same tickets again: a replay, nothing more refunded.
  const again = await admin.post(`/purchases/${order.order_id}/refunds`, {
    ticket_ids: [tickets[0]],
  });
  assert.equal(again.status, 200);
  assert.equal(again.headers.get("idempotent-replayed"), "true");
  assert.equal(calls().length, 1);
  // A ticket already refunded, or of another order, is refused with a stable code.
  const mixed = await admin.post(`/purchases/${order.order_id}/refunds`, {
    ticket_ids: [tickets[0], tickets[1]],
  });
  assert.equal(mixed.body.error.code, "tickets_not_refundable");
  const stranger = await admin.post(`/purchases/${order.order_id}/refunds`, {
    ticket_ids: [crypto.randomUUID()],
  });
  assert.equal(stranger.body.error.code, "tickets_not_refundable");
  // The last two: the order is refunded, every place back, all the money returned once.
  const last = await admin.post(`/purchases/${order.order_id}/refunds`, {
    ticket_ids: [tickets[1], tickets[2]],
  });
  assert.equal(last.status, 201);
  assert.equal(last.body.status, "refunded");
  assert.equal(last.body.refunded_amount, order.total);
  assert.deepEqual(await orderState(sql, order.order_id, ticketType.id), {
    status: "refunded",
    valid: 0,
    revoked: 3,
    sold: 0,
    held: 0,
  });
  assert.deepEqual(calls().map((r) => r.amount), [1000, 2000]);
  assert.equal(fake.payment(paymentId)!.status, "refunded");
  assert.deepEqual(await notices(sql, order.order_id), [100_000, 200_000]);
  // Mercado Pago's refunded notification then changes nothing more.
  await deliver(env.app, paymentId);
  assert.equal((await orderState(sql, order.order_id, ticketType.id)).status, "refunded");
  assert.deepEqual(await notices(sql, order.order_id), [100_000, 200_000]);
  const whole = await admin.post(`/purchases/${order.order_id}/refund`);
  assert.equal(whole.status, 200, "already refunded: a replay");
  assert.equal(calls().length, 2);
});

dbTest("ten admins refunding the same ticket at once: one refund, one call", async () => {
  const env = await purchaseEnv();
  const { order, paymentId, tickets } = await paidThree(env);
  const admin = await env.asAdmin();
  const results = await Promise.all(
    Array.from(
      { length: 10 },
      () => admin.post(`/purchases/${order.order_id}/refunds`, { ticket_ids: [tickets[1]] }),
    ),
  );
  assert.deepEqual(results.map((r) => r.status).sort(), [
    200,
    200,
    200,
    200,
    200,
    200,
    200,
    200,
    200,
    201,
  ]);
  assert.equal(env.fake.refunds.filter((r) => r.payment_id === paymentId).length, 1);
  const rows = await env.sql`select amount from public.refunds where order_id = ${order.order_id}`;
  assert.deepEqual(rows.map((r) => r.amount), [100_000]);
});

dbTest("a whole refund after a partial one returns only what is left", async () => {
  const env = await purchaseEnv();
  const { order, paymentId, tickets, ticketType } = await paidThree(env);
  const admin = await env.asAdmin();
  await admin.post(`/purchases/${order.order_id}/refunds`, { ticket_ids: [tickets[2]] });
  const whole = await admin.post(`/purchases/${order.order_id}/refund`);
  assert.equal(whole.status, 201);
  assert.equal(whole.body.refund.amount, 200_000);
  assert.deepEqual(
    env.fake.refunds.filter((r) => r.payment_id === paymentId).map((r) => r.amount),
    [1000, 2000],
  );
  assert.equal((await orderState(env.sql, order.order_id, ticketType.id)).sold, 0);
});
