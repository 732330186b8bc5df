/**
 * Slow payments under the `hold` policy, end to end through the real SDK and
 * the fake Mercado Pago's delayed settlement: a pending voucher moves the
 * order to awaiting_payment and keeps its seats (the held counter unchanged)
 * until the voucher's deadline; approval issues the tickets, an expired
 * voucher returns the seats, the sweep expires an order whose deadline passed,
 * and an approval after that follows the late-payment rule (tickets if
 * capacity remains, else a refund), the buyer mailed either way.
 */
import assert from "node:assert/strict";
import type { Sql } from "../../shared/db/mod.ts";
import { dbTest } from "../support/harness.ts";
import { payWithSlowMethod } from "../support/fake_mercadopago_slow.ts";
import { expireOrder } from "../support/purchase_builders.ts";
import { key, purchaseBody, purchaseEnv } from "./env.ts";
import { hoursBetween, notifier, slowEvent, sweep } from "./slow_payment_support.ts";
import { orderState, PAID_TWO } from "./webhook_support.ts";

/** orderState of an order whose slow payment failed: nothing issued, nothing held. */
const RELEASED = { status: "failed", valid: 0, revoked: 0, sold: 0, held: 0 };

type Env = Awaited<ReturnType<typeof purchaseEnv>>;

/** A buyer checks out `quantity` tickets; returns the order id. */
async function checkout(env: Env, eventId: string, typeId: string, quantity = 2) {
  return (await checkoutAs(env, eventId, typeId, quantity)).orderId;
}

async function checkoutAs(env: Env, eventId: string, typeId: string, quantity: number) {
  const buyer = await env.asUser();
  const res = await buyer.post("/purchases", purchaseBody(eventId, typeId, quantity), key());
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { buyer, orderId: res.body.order_id as string };
}

const mailsOf = async (sql: Sql, orderId: string) =>
  (await sql<{ template: string }[]>`
    select template from public.email_outbox where data ->> 'order_id' = ${orderId}
     order by created_at, template`).map((m) => m.template);

const auditOf = async (sql: Sql, orderId: string) =>
  (await sql<{ action: string }[]>`
    select action from public.audit_log where entity = 'order' and entity_id = ${orderId}
     order by id`).map((a) => a.action);

dbTest(
  "hold: a voucher keeps the seats while pending; paid days later, the tickets are issued",
  async () => {
    const env = await purchaseEnv();
    const { sql, app, fake } = env;
    const { event, ticketType } = await slowEvent(sql, { days: 3, type: { capacity: 2 } });
    const { buyer, orderId } = await checkoutAs(env, event.id, ticketType.id, 2);
    const voucher = await payWithSlowMethod(fake, { orderId, notify: notifier(app) });

    const [order] = await sql`select status, expires_at, slow_payment_deadline, provider_payment_id
                              from public.orders where id = ${orderId}`;
    assert.equal(order.status, "awaiting_payment");
    assert.equal(order.provider_payment_id, String(voucher.paymentId));
    // Held until the voucher's deadline plus the crediting margin (2 h).
    assert.equal(
      hoursBetween(voucher.dateOfExpiration, order.expires_at),
      2,
    );
    assert.equal(
      new Date(voucher.dateOfExpiration).getTime(),
      order.slow_payment_deadline.getTime(),
    );
    const items = await sql`select held_until from public.order_items where order_id = ${orderId}`;
    assert.deepEqual(items.map((i) => i.held_until.getTime()), [order.expires_at.getTime()]);
    // Capacity stays reserved: the counter did not move, the sweep leaves it, others are refused.
    assert.deepEqual(await orderState(sql, orderId, ticketType.id), {
      status: "awaiting_payment",
      valid: 0,
      revoked: 0,
      sold: 0,
      held: 2,
    });
    assert.equal((await sweep(app)).expired_orders, 0);
    const late = await (await env.asUser()).post(
      "/purchases",
      purchaseBody(event.id, ticketType.id, 1),
      key(),
    );
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, "sold_out");
    // The buyer sees it waiting for the voucher, with no checkout to start again.
    const seen = await buyer.get(`/purchases/${orderId}/status`);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.status, "awaiting_payment");
    assert.equal(seen.body.checkout_url, null);
    assert.equal(seen.body.expires_at, order.expires_at.toISOString());
    assert.equal(seen.body.slow_payment_deadline, voucher.dateOfExpiration);

    await voucher.settle("approved");
    assert.deepEqual(await orderState(sql, orderId, ticketType.id), PAID_TWO);
    assert.deepEqual(await mailsOf(sql, orderId), ["order_confirmation"]);
    assert.deepEqual(await auditOf(sql, orderId), [
      "order.reserved",
      "order.awaiting_payment",
      "order.paid",
    ]);
  },
);

dbTest(
  "hold: the fake's delayed approval notifies the webhook; repeats change nothing",
  async () => {
    const env = await purchaseEnv();
    const { sql, app, fake } = env;
    const { event, ticketType } = await slowEvent(sql);
    const orderId = await checkout(env, event.id, ticketType.id, 2);
    const voucher = await payWithSlowMethod(fake, {
      orderId,
      notify: notifier(app),
      settleAfterMs: 150,
      settleTo: "approved",
    });
    assert.equal((await orderState(sql, orderId, ticketType.id)).status, "awaiting_payment");
    // Mercado Pago repeats itself: the same pending notification again, twice.
    await notifier(app)(voucher.paymentId);
    await notifier(app)(voucher.paymentId);
    await voucher.settled;
    assert.equal((await orderState(sql, orderId, ticketType.id)).status, "paid");
    await notifier(app)(voucher.paymentId);
    assert.deepEqual(await auditOf(sql, orderId), [
      "order.reserved",
      "order.awaiting_payment",
      "order.paid",
    ]);
    const [{ n }] =
      await sql`select count(*)::int as n from public.tickets where order_id = ${orderId}`;
    assert.equal(n, 2);
  },
);

dbTest(
  "hold: a voucher that expires unpaid fails the order and puts the seats back on sale",
  async () => {
    const env = await purchaseEnv();
    const { sql, app, fake } = env;
    const { event, ticketType } = await slowEvent(sql, { type: { capacity: 2 } });
    const orderId = await checkout(env, event.id, ticketType.id, 2);
    const voucher = await payWithSlowMethod(fake, {
      orderId,
      notify: notifier(app),
      settleAfterMs: 50,
      settleTo: "expired",
    });
    await voucher.settled;
    const state = await orderState(sql, orderId, ticketType.id);
    assert.deepEqual(state, RELEASED);
    const [order] = await sql`select failure_reason from public.orders where id = ${orderId}`;
    assert.equal(order.failure_reason, "payment_cancelled");
    // The buyer is told the tickets went back on sale, and until when it could be paid.
    assert.deepEqual(await mailsOf(sql, orderId), ["awaiting_payment_ended"]);
    const [mail] = await sql`select data ->> 'deadline' as deadline from public.email_outbox
                            where dedupe_key = ${`awaiting_payment_ended:${orderId}`}`;
    assert.equal(mail.deadline, voucher.dateOfExpiration);
    // The seats are for sale again.
    await checkout(env, event.id, ticketType.id, 2);
  },
);

dbTest("hold: a card rejected beside an awaited voucher changes nothing", async () => {
  const env = await purchaseEnv();
  const { sql, app, fake } = env;
  const { event, ticketType } = await slowEvent(sql);
  const orderId = await checkout(env, event.id, ticketType.id, 2);
  const voucher = await payWithSlowMethod(fake, { orderId, notify: notifier(app) });
  const card = fake.addPayment({
    status: "rejected",
    status_detail: "cc_rejected_insufficient_amount",
    external_reference: orderId,
    transaction_amount: 3000,
    currency_id: "ARS",
    payment_type_id: "credit_card",
  });
  await notifier(app)(card);
  assert.equal((await orderState(sql, orderId, ticketType.id)).status, "awaiting_payment");
  assert.deepEqual(await mailsOf(sql, orderId), []);
  await voucher.settle("approved");
  assert.equal((await orderState(sql, orderId, ticketType.id)).status, "paid");
});

dbTest(
  "hold: a card payment under review (in_process) keeps the hold as a voucher does",
  async () => {
    const env = await purchaseEnv();
    const { sql, app, fake } = env;
    const { event, ticketType } = await slowEvent(sql, { days: 2 });
    const orderId = await checkout(env, event.id, ticketType.id, 1);
    const review = await payWithSlowMethod(fake, {
      orderId,
      paymentTypeId: "credit_card",
      status: "in_process",
      notify: notifier(app),
    });
    const [order] = await sql`select status, expires_at, slow_payment_deadline
                              from public.orders where id = ${orderId}`;
    assert.equal(order.status, "awaiting_payment");
    // No deadline of its own: the order's (2 days) plus the crediting margin.
    assert.equal(hoursBetween(order.slow_payment_deadline, order.expires_at), 2);
    await review.settle("rejected");
    assert.deepEqual(await orderState(sql, orderId, ticketType.id), RELEASED);
  },
);

dbTest("excluded: a pending payment does not extend the 15-minute hold", async () => {
  const env = await purchaseEnv();
  const { sql, app, fake } = env;
  const { event, ticketType } = await slowEvent(sql, { policy: "excluded" });
  const orderId = await checkout(env, event.id, ticketType.id, 1);
  // A card under review: the only slow payment an excluded checkout can produce.
  await payWithSlowMethod(fake, {
    orderId,
    paymentTypeId: "credit_card",
    status: "in_process",
    notify: notifier(app),
  });
  const [order] = await sql`select status, created_at, expires_at from public.orders
                             where id = ${orderId}`;
  assert.equal(order.status, "pending");
  assert.ok(hoursBetween(order.created_at, order.expires_at) < 1);
});

dbTest(
  "a pending payment of another amount, or for an order already released, holds nothing",
  async () => {
    const env = await purchaseEnv();
    const { sql, app, fake } = env;
    const { event, ticketType } = await slowEvent(sql);
    const orderId = await checkout(env, event.id, ticketType.id, 2);
    const wrong = fake.addPayment({
      status: "pending",
      status_detail: "pending_waiting_payment",
      external_reference: orderId,
      transaction_amount: 1,
      currency_id: "ARS",
      payment_type_id: "ticket",
      date_of_expiration: new Date(Date.now() + 86_400_000).toISOString(),
    });
    await notifier(app)(wrong);
    assert.equal((await orderState(sql, orderId, ticketType.id)).status, "pending");
    // The hold ran out and gave way (the reservation's release, before any sweep): a voucher
    // arriving now does not resurrect it.
    const released = await checkout(env, event.id, ticketType.id, 2);
    await expireOrder(sql, released);
    await sql`select public.release_expired_holds(${ticketType.id})`;
    await payWithSlowMethod(fake, { orderId: released, notify: notifier(app) });
    assert.equal((await orderState(sql, released, ticketType.id)).status, "pending");
  },
);

dbTest(
  "deadline passed: the sweep expires the order; a late approval gets tickets while capacity remains",
  async () => {
    const env = await purchaseEnv();
    const { sql, app, fake } = env;
    const { event, ticketType } = await slowEvent(sql, { type: { capacity: 4 } });
    const orderId = await checkout(env, event.id, ticketType.id, 2);
    const voucher = await payWithSlowMethod(fake, { orderId, notify: notifier(app) });
    await expireOrder(sql, orderId); // as if the deadline had passed
    assert.ok((await sweep(app)).expired_orders >= 1); // other tests' orders may expire too
    const [expired] =
      await sql`select status, failure_reason from public.orders where id = ${orderId}`;
    assert.deepEqual({ ...expired }, {
      status: "expired",
      failure_reason: "payment_deadline_passed",
    });
    assert.equal((await orderState(sql, orderId, ticketType.id)).held, 0);
    await voucher.settle("approved");
    assert.deepEqual(await orderState(sql, orderId, ticketType.id), PAID_TWO);
    assert.deepEqual(await mailsOf(sql, orderId), ["awaiting_payment_ended", "order_confirmation"]);
  },
);

dbTest(
  "deadline passed and the seats sold meanwhile: a late approval is refunded and mailed",
  async () => {
    const env = await purchaseEnv();
    const { sql, app, fake } = env;
    const { event, ticketType } = await slowEvent(sql, { type: { capacity: 2 } });
    const orderId = await checkout(env, event.id, ticketType.id, 2);
    const voucher = await payWithSlowMethod(fake, { orderId, notify: notifier(app) });
    await expireOrder(sql, orderId);
    await sweep(app);
    // Someone else buys and pays the two seats.
    const other = await checkout(env, event.id, ticketType.id, 2);
    const card = fake.addPayment({
      status: "approved",
      external_reference: other,
      transaction_amount: 3000,
      currency_id: "ARS",
      payment_type_id: "credit_card",
    });
    await notifier(app)(card);
    assert.equal((await orderState(sql, other, ticketType.id)).status, "paid");
    // The voucher is paid at the last minute and credited after the order expired.
    await voucher.settle("approved");
    assert.deepEqual(await orderState(sql, orderId, ticketType.id), {
      status: "refunded",
      valid: 0,
      revoked: 0,
      sold: 2,
      held: 0,
    });
    const [refund] = await sql`select reason, status, amount from public.refunds
                              where provider_payment_id = ${String(voucher.paymentId)}`;
    assert.deepEqual({ ...refund }, {
      reason: "capacity_unavailable",
      status: "requested",
      amount: 300_000,
    });
    assert.equal(fake.refunds.filter((r) => r.payment_id === voucher.paymentId).length, 1);
    assert.deepEqual(await mailsOf(sql, orderId), ["awaiting_payment_ended", "refund_notice"]);
  },
);

dbTest(
  "local simulator: a cash voucher leaves the order awaiting payment until approved",
  async () => {
    const env = await purchaseEnv({ simulated: true });
    const { sql } = env;
    const { event, ticketType } = await slowEvent(sql);
    const { buyer, orderId } = await checkoutAs(env, event.id, ticketType.id, 1);
    const voucher = await buyer.post(`/purchases/simulate/${orderId}`, { status: "pending" });
    assert.equal(voucher.status, 200, JSON.stringify(voucher.body));
    assert.equal(voucher.body.order_status, "awaiting_payment");
    const paid = await buyer.post(`/purchases/simulate/${orderId}`, { status: "approved" });
    assert.equal(paid.body.order_status, "paid");
    assert.equal((await orderState(sql, orderId, ticketType.id)).valid, 1);
  },
);

dbTest("the database refuses moves out of awaiting_payment outside order_transitions", async () => {
  const env = await purchaseEnv();
  const { sql, app, fake } = env;
  const { event, ticketType } = await slowEvent(sql);
  const orderId = await checkout(env, event.id, ticketType.id, 1);
  await payWithSlowMethod(fake, { orderId, notify: notifier(app) });
  const move = async (status: string): Promise<string> => {
    try {
      await sql.begin(async (tx) => {
        await tx`update public.orders set status = ${status} where id = ${orderId}`;
        throw new Error("rolled back");
      });
      return "committed";
    } catch (error) {
      return (error as { constraint_name?: string }).constraint_name ?? "allowed";
    }
  };
  for (const status of ["pending", "disputed"]) {
    assert.equal(await move(status), "orders_status_transition", `awaiting_payment → ${status}`);
  }
  for (const status of ["paid", "failed", "expired", "refunded"]) {
    assert.equal(await move(status), "allowed", `awaiting_payment → ${status}`);
  }
});

dbTest(
  "waiting room: a voucher awaiting payment is the buyer's live hold (hold_exists)",
  async () => {
    const env = await purchaseEnv();
    const { sql, app, fake } = env;
    const { event, ticketType } = await slowEvent(sql);
    const { buyer, orderId } = await checkoutAs(env, event.id, ticketType.id, 1);
    await payWithSlowMethod(fake, { orderId, notify: notifier(app) });
    // The event now sells through its waiting room; the buyer was admitted again.
    await sql`insert into public.queue_settings (event_id, enabled, prequeue_opens_at, starts_at, seed)
            values (${event.id}, true, now() - interval '1 hour', now() - interval '1 hour',
                    ${"ab".repeat(32)})`;
    const refusal = async () => {
      try {
        await sql`select public.reserve_tickets_guarded(p_buyer_id => ${buyer.user!.id},
        p_event_id => ${event.id},
        p_items => ${sql.json([{ ticket_type_id: ticketType.id, quantity: 1 }])},
        p_idempotency_key => ${crypto.randomUUID()}, p_request_hash => 'again',
        p_hold_minutes => 15, p_unpaid_limit => 5, p_unpaid_window_minutes => 60,
        p_admission => ${sql.json({ token_id: crypto.randomUUID() })})`;
        return "reserved";
      } catch (error) {
        return (error as { message?: string }).message;
      }
    };
    assert.equal(await refusal(), "hold_exists");
  },
);
