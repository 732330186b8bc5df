import assert from "node:assert/strict";
import { dbTest } from "../support/harness.ts";
import { expireOrder, makeOrder } from "../support/purchase_builders.ts";
import { makeUser } from "../support/builders.ts";
import { key, purchaseBody, purchaseEnv } from "./env.ts";
import { deliver, orderAwaitingPayment, orderState, PAID_TWO } from "./webhook_support.ts";

const sweep = (app: Awaited<ReturnType<typeof purchaseEnv>>["app"]) =>
  app.request("/purchases/sweep", {
    method: "POST",
    headers: { "x-scheduler-secret": "crodify-dev-scheduler-secret" },
  });

dbTest("approved after the hold expired, capacity left: the buyer gets the tickets", async () => {
  const { sql, app, fake } = await purchaseEnv();
  const { order, ticketType, paymentId } = await orderAwaitingPayment(sql, fake, {
    quantity: 2,
    capacity: 5,
  });
  await expireOrder(sql, order.order_id);
  assert.equal((await (await sweep(app)).json()).expired_orders >= 1, true);
  assert.equal((await orderState(sql, order.order_id, ticketType.id)).status, "expired");
  fake.setPaymentStatus(paymentId, "approved");
  await deliver(app, paymentId);
  assert.deepEqual(await orderState(sql, order.order_id, ticketType.id), PAID_TWO);
  assert.equal(fake.refunds.filter((r) => r.payment_id === paymentId).length, 0);
});

dbTest(
  "approved after expiry with the places resold: refunded through the SDK and recorded",
  async () => {
    const { sql, app, fake } = await purchaseEnv();
    const { order, event, ticketType, paymentId } = await orderAwaitingPayment(sql, fake, {
      quantity: 2,
      capacity: 2,
    });
    await expireOrder(sql, order.order_id); // not swept: the hold stops counting on its own
    const other = await makeUser(sql);
    const rival = await makeOrder(sql, {
      buyer: other,
      eventId: event.id,
      items: [{ ticketTypeId: ticketType.id, quantity: 2 }],
    });
    fake.setPaymentStatus(paymentId, "approved");
    const res = await deliver(app, paymentId);
    assert.equal(res.body.state, "processed");
    assert.deepEqual(await orderState(sql, order.order_id, ticketType.id), {
      status: "refunded",
      valid: 0,
      revoked: 0,
      sold: 0,
      held: 2,
    });
    const [refund] = await sql`select * from public.refunds where order_id = ${order.order_id}`;
    assert.equal(refund.reason, "capacity_unavailable");
    assert.equal(refund.status, "requested");
    assert.equal(refund.amount, order.total);
    const sent = fake.refunds.filter((r) => r.payment_id === paymentId);
    assert.equal(sent.length, 1, "one refund call reached Mercado Pago");
    assert.equal(sent[0].idempotency_key, refund.id);
    assert.equal(refund.provider_refund_id, String(sent[0].id));
    // Mercado Pago then notifies the refund: recorded as done, nothing else moves.
    await deliver(app, paymentId);
    const [done] = await sql`select status from public.refunds where id = ${refund.id}`;
    assert.equal(done.status, "succeeded");
    assert.equal((await orderState(sql, rival.order_id, ticketType.id)).status, "pending");
  },
);

dbTest("a refund Mercado Pago refuses stays pending and the sweep retries it", async () => {
  const { sql, app, fake } = await purchaseEnv();
  const { order, event, ticketType, paymentId } = await orderAwaitingPayment(sql, fake, {
    quantity: 1,
    capacity: 1,
  });
  await expireOrder(sql, order.order_id);
  await makeOrder(sql, {
    buyer: await makeUser(sql),
    eventId: event.id,
    items: [{ ticketTypeId: ticketType.id, quantity: 1 }],
  });
  fake.setPaymentStatus(paymentId, "approved");
  fake.fail("refunds", 500);
  await deliver(app, paymentId);
  const [pending] = await sql`select * from public.refunds where order_id = ${order.order_id}`;
  assert.equal(pending.status, "pending");
  assert.ok(pending.attempts >= 1 && pending.last_error);
  fake.reset();
  await sweep(app);
  const [still] = await sql`select status from public.refunds where id = ${pending.id}`;
  assert.equal(still.status, "pending", "not retried before its backoff is over");
  await sql`update public.refunds set next_attempt_at = now() where id = ${pending.id}`;
  const body = await (await sweep(app)).json();
  assert.equal(body.refunds_requested, 1);
  const [requested] = await sql`select status from public.refunds where id = ${pending.id}`;
  assert.equal(requested.status, "requested");
  assert.equal(fake.refunds.filter((r) => r.payment_id === paymentId).length, 1);
});

dbTest("Mercado Pago down while reading a payment: 200, row retried by the sweep", async () => {
  const { sql, app, fake } = await purchaseEnv();
  const { order, ticketType, paymentId } = await orderAwaitingPayment(sql, fake, { quantity: 2 });
  fake.setPaymentStatus(paymentId, "approved");
  fake.fail("payments", 503);
  const res = await deliver(app, paymentId);
  assert.equal(res.status, 200);
  assert.equal(res.body.state, "failed");
  assert.equal((await orderState(sql, order.order_id, ticketType.id)).status, "pending");
  fake.reset();
  await sql`update public.payment_notifications set next_attempt_at = now()
             where resource_id = ${String(paymentId)}`;
  const swept = await (await sweep(app)).json();
  assert.equal(swept.notifications_processed, 1);
  assert.deepEqual(await orderState(sql, order.order_id, ticketType.id), PAID_TWO);
  const [row] = await sql`select state, attempts from public.payment_notifications
                           where resource_id = ${String(paymentId)}`;
  assert.deepEqual({ ...row }, { state: "processed", attempts: 2 });
});

dbTest("a second approved payment for a paid order is refunded; a wrong amount too", async () => {
  const { sql, app, fake } = await purchaseEnv();
  const { order, ticketType, paymentId } = await orderAwaitingPayment(sql, fake);
  fake.setPaymentStatus(paymentId, "approved");
  await deliver(app, paymentId);
  const second = fake.addPayment({
    status: "approved",
    external_reference: order.order_id,
    transaction_amount: order.total / 100,
    currency_id: "ARS",
  });
  await deliver(app, second);
  assert.deepEqual(await orderState(sql, order.order_id, ticketType.id), PAID_TWO);
  const refunds = await sql`select provider_payment_id, reason, status from public.refunds
                             where order_id = ${order.order_id}`;
  assert.deepEqual(refunds.map((r) => ({ ...r })), [
    { provider_payment_id: String(second), reason: "duplicate_payment", status: "requested" },
  ]);
  const cheap = await orderAwaitingPayment(sql, fake);
  const underpaid = fake.addPayment({
    status: "approved",
    external_reference: cheap.order.order_id,
    transaction_amount: 1,
    currency_id: "ARS",
  });
  await deliver(app, underpaid);
  assert.equal(
    (await orderState(sql, cheap.order.order_id, cheap.ticketType.id)).status,
    "pending",
  );
  const [mismatch] = await sql`select reason from public.refunds
                                where provider_payment_id = ${String(underpaid)}`;
  assert.equal(mismatch.reason, "amount_mismatch");
});

dbTest("the sweep needs the scheduler secret or the service-role key", async () => {
  const { app } = await purchaseEnv();
  const { hs256Token } = await import("../support/tokens.ts");
  const denied = await app.request("/purchases/sweep", { method: "POST" });
  assert.equal(denied.status, 401);
  const wrong = await app.request("/purchases/sweep", {
    method: "POST",
    headers: { "x-scheduler-secret": "guess" },
  });
  assert.equal(wrong.status, 401);
  const user = await hs256Token({ sub: crypto.randomUUID() });
  const asUser = await app.request("/purchases/sweep", {
    method: "POST",
    headers: { authorization: `Bearer ${user}` },
  });
  assert.equal(asUser.status, 401);
  const service = await hs256Token({ sub: crypto.randomUUID(), role: "service_role" });
  const ok = await app.request("/purchases/sweep", {
    method: "POST",
    headers: { authorization: `Bearer ${service}` },
  });
  assert.equal(ok.status, 200);
});

dbTest("a refund notified by Mercado Pago puts the places on sale again at once", async () => {
  const env = await purchaseEnv();
  const { event, ticketType, paymentId } = await orderAwaitingPayment(env.sql, env.fake, {
    quantity: 2,
    capacity: 2,
  });
  env.fake.setPaymentStatus(paymentId, "approved");
  await deliver(env.app, paymentId);
  const buyer = await env.asUser();
  const buy = () => buyer.post("/purchases", purchaseBody(event.id, ticketType.id, 2), key());
  assert.equal((await buy()).body.error.code, "sold_out");
  env.fake.setPaymentStatus(paymentId, "refunded");
  await deliver(env.app, paymentId);
  assert.equal((await buy()).status, 201, "not turned away by a remembered sold out");
});

dbTest(
  "a refunded wrong-amount payment never moves its order; the right payment pays it",
  async () => {
    const { sql, app, fake } = await purchaseEnv();
    const { order, ticketType } = await orderAwaitingPayment(sql, fake, { quantity: 2 });
    const mails = async () =>
      (await sql`select template from public.email_outbox where data ->> 'order_id' = ${order.order_id}
               order by created_at`).map((r) => r.template);
    const wrong = fake.addPayment({
      status: "approved",
      external_reference: order.order_id,
      transaction_amount: (order.total - 100) / 100,
      currency_id: "ARS",
    });
    await deliver(app, wrong);
    assert.equal((await orderState(sql, order.order_id, ticketType.id)).status, "pending");
    assert.equal(fake.refunds.filter((r) => r.payment_id === wrong).length, 1, "Pw refunded");
    // Mercado Pago notifies that Pw is refunded (the fake marked it so when asked).
    assert.equal(fake.payment(wrong)!.status, "refunded");
    const notified = await deliver(app, wrong);
    assert.equal(notified.body.state, "processed");
    assert.deepEqual(await orderState(sql, order.order_id, ticketType.id), {
      status: "pending",
      valid: 0,
      revoked: 0,
      sold: 0,
      held: 2,
    });
    assert.deepEqual(await mails(), [], "no refund notice for an order never paid");
    const [mismatch] = await sql`select reason, status from public.refunds
                                where provider_payment_id = ${String(wrong)}`;
    assert.deepEqual({ ...mismatch }, { reason: "amount_mismatch", status: "succeeded" });
    // The buyer pays again, the right amount: the order is paid, nothing else refunded.
    const right = fake.addPayment({
      status: "approved",
      external_reference: order.order_id,
      transaction_amount: order.total / 100,
      currency_id: "ARS",
    });
    await deliver(app, right);
    assert.deepEqual(await orderState(sql, order.order_id, ticketType.id), PAID_TWO);
    assert.equal(fake.refunds.filter((r) => r.payment_id === right).length, 0, "Pc kept");
    assert.deepEqual(await mails(), ["order_confirmation"]);
    const [paid] =
      await sql`select provider_payment_id from public.orders where id = ${order.order_id}`;
    assert.equal(paid.provider_payment_id, String(right));
  },
);
