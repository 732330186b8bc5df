import assert from "node:assert/strict";
import { dbTest } from "../support/harness.ts";
import type { Sql } from "../../shared/db/mod.ts";
import { key, purchaseBody, purchaseEnv } from "./env.ts";
import { deliver, orderAwaitingPayment, orderState, REFUNDED_TWO } from "./webhook_support.ts";

type Env = Awaited<ReturnType<typeof purchaseEnv>>;

/** An order paid through the fake Mercado Pago (its webhook delivered), with 2 tickets. */
async function paidOrder(env: Env, capacity = 10) {
  const made = await orderAwaitingPayment(env.sql, env.fake, { quantity: 2, capacity });
  env.fake.setPaymentStatus(made.paymentId, "approved");
  await deliver(env.app, made.paymentId);
  assert.equal((await orderState(env.sql, made.order.order_id, made.ticketType.id)).status, "paid");
  return made;
}

const refundNotices = async (sql: Sql, orderId: string) =>
  (await sql`select count(*)::int as n from public.email_outbox
              where template = 'refund_notice' and dedupe_key = ${`refund_notice:${orderId}`}`)[0]
    .n;

dbTest(
  "an admin refunds a paid order: tickets revoked, places back, money asked back",
  async () => {
    const env = await purchaseEnv();
    const { sql, fake } = env;
    const { order, ticketType, paymentId } = await paidOrder(env);
    const admin = await env.asAdmin();
    const res = await admin.post(`/purchases/${order.order_id}/refund`);
    assert.equal(res.status, 201);
    const [refund] = await sql`select * from public.refunds where order_id = ${order.order_id}`;
    assert.deepEqual(res.body, {
      order_id: order.order_id,
      status: "refunded",
      tickets_revoked: 2,
      refund: {
        id: refund.id,
        status: "requested",
        amount: order.total,
        currency: "ARS",
        reason: "admin",
      },
    });
    assert.deepEqual(await orderState(sql, order.order_id, ticketType.id), REFUNDED_TWO);
    const sent = fake.refunds.filter((r) => r.payment_id === paymentId);
    assert.equal(sent.length, 1, "one refund call reached Mercado Pago");
    assert.equal(sent[0].idempotency_key, refund.id);
    assert.equal(await refundNotices(sql, order.order_id), 1);
    const audits = await sql`select action from public.audit_log
                            where actor_id = ${admin.user!.id} order by id`;
    assert.deepEqual(audits.map((a) => a.action), ["refund.decided", "order.refunded"]);
    // Mercado Pago then notifies the refund: recorded as done, nothing else moves.
    fake.setPaymentStatus(paymentId, "refunded");
    await deliver(env.app, paymentId);
    const [done] = await sql`select status from public.refunds where id = ${refund.id}`;
    assert.equal(done.status, "succeeded");
    assert.equal(await refundNotices(sql, order.order_id), 1);
  },
);

dbTest("twenty admins refunding one order at once: one refund, one call, one notice", async () => {
  const env = await purchaseEnv();
  const { sql, fake } = env;
  const { order, ticketType, paymentId } = await paidOrder(env);
  const admins = await Promise.all(Array.from({ length: 20 }, () => env.asAdmin()));
  const results = await Promise.all(
    admins.map((admin) => admin.post(`/purchases/${order.order_id}/refund`)),
  );
  assert.equal(results.filter((r) => r.status === 201).length, 1, "exactly one refunds");
  assert.equal(results.filter((r) => r.status === 200).length, 19, "the others are replays");
  for (const r of results.filter((r) => r.status === 200)) {
    assert.equal(r.headers.get("idempotent-replayed"), "true");
    assert.equal(r.body.refund.id, results.find((x) => x.status === 201)!.body.refund.id);
  }
  const [{ n }] = await sql`select count(*)::int as n from public.refunds
                             where order_id = ${order.order_id}`;
  assert.equal(n, 1);
  assert.equal(fake.refunds.filter((r) => r.payment_id === paymentId).length, 1);
  assert.equal(await refundNotices(sql, order.order_id), 1);
  assert.deepEqual(await orderState(sql, order.order_id, ticketType.id), REFUNDED_TWO);
});

dbTest(
  "a refund Mercado Pago refuses: the order is refunded, the money retried by the sweep",
  async () => {
    const env = await purchaseEnv();
    const { sql, fake } = env;
    const { order, paymentId } = await paidOrder(env);
    fake.fail("refunds", 500);
    const res = await (await env.asAdmin()).post(`/purchases/${order.order_id}/refund`);
    assert.equal(res.status, 201);
    assert.equal(res.body.status, "refunded");
    assert.equal(res.body.refund.status, "pending");
    fake.reset();
    await sql`update public.refunds set next_attempt_at = now() where order_id = ${order.order_id}`;
    const swept = await env.app.request("/purchases/sweep", {
      method: "POST",
      headers: { "x-scheduler-secret": "crodify-dev-scheduler-secret" },
    });
    assert.equal((await swept.json()).refunds_requested, 1);
    assert.equal(fake.refunds.filter((r) => r.payment_id === paymentId).length, 1);
    const again = await (await env.asAdmin()).post(`/purchases/${order.order_id}/refund`);
    assert.equal(again.status, 200);
    assert.equal(again.body.refund.status, "requested");
  },
);

dbTest("refunds are for admins and for paid orders only", async () => {
  const env = await purchaseEnv();
  const { order, buyer, paymentId } = await orderAwaitingPayment(env.sql, env.fake);
  const path = `/purchases/${order.order_id}/refund`;
  assert.equal((await env.asAnon().post(path)).status, 401);
  const asBuyer = await (await env.as(buyer)).post(path);
  assert.equal(asBuyer.status, 403);
  assert.equal(asBuyer.body.error.code, "forbidden");
  const admin = await env.asAdmin();
  const pending = await admin.post(path);
  assert.equal(pending.status, 409);
  assert.equal(pending.body.error.code, "order_not_refundable");
  assert.deepEqual(pending.body.error.details, { order_id: order.order_id, status: "pending" });
  const missing = await admin.post(`/purchases/${crypto.randomUUID()}/refund`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, "order_not_found");
  const bad = await admin.post("/purchases/not-a-uuid/refund");
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, "validation_failed");
  assert.equal(bad.body.error.details[0].field, "path.order_id");
  assert.equal(env.fake.refunds.filter((r) => r.payment_id === paymentId).length, 0);
});

dbTest("a refunded order's places are on sale again at once, after a sold out", async () => {
  const env = await purchaseEnv();
  const { order, event, ticketType } = await paidOrder(env, 2);
  const buyer = await env.asUser();
  const buy = () => buyer.post("/purchases", purchaseBody(event.id, ticketType.id, 2), key());
  const soldOut = await buy();
  assert.equal(soldOut.status, 409);
  assert.equal(soldOut.body.error.code, "sold_out");
  await (await env.asAdmin()).post(`/purchases/${order.order_id}/refund`);
  assert.equal((await buy()).status, 201, "not turned away by a remembered sold out");
});
