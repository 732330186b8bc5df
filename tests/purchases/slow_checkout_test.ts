/**
 * What the checkout offers under each slow-payment policy, as Mercado Pago
 * receives it (the preference captured at the fake): `excluded` sends
 * excluded_payment_types for vouchers, ATM and transfers, so the buyer cannot
 * pick them; `hold` sends date_of_expiration = the order's deadline, bounded
 * by the event's start.
 */
import assert from "node:assert/strict";
import { dbTest } from "../support/harness.ts";
import { payWithSlowMethod, preferenceOf } from "../support/fake_mercadopago_slow.ts";
import { key, purchaseBody, purchaseEnv } from "./env.ts";
import { hoursBetween, notifier, slowEvent } from "./slow_payment_support.ts";

dbTest("excluded: the preference leaves out vouchers, ATM and transfers", async () => {
  const { sql, app, fake, asUser } = await purchaseEnv();
  const { event, ticketType } = await slowEvent(sql, { policy: "excluded" });
  const res = await (await asUser()).post(
    "/purchases",
    purchaseBody(event.id, ticketType.id),
    key(),
  );
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.slow_payment_deadline, null);
  const preference = preferenceOf(fake, res.body.order_id);
  assert.deepEqual(preference.body.payment_methods, {
    excluded_payment_types: [{ id: "ticket" }, { id: "atm" }, { id: "bank_transfer" }],
  });
  assert.equal(preference.body.date_of_expiration, undefined);
  // The checkout still closes with the hold.
  assert.equal(preference.body.expires, true);
  assert.equal(new Date(preference.body.expiration_date_to).toISOString(), res.body.expires_at);
  // So the buyer cannot pick Rapipago / Pago Fácil, an ATM or a transfer.
  for (const paymentTypeId of ["ticket", "atm", "bank_transfer"] as const) {
    await assert.rejects(
      payWithSlowMethod(fake, { orderId: res.body.order_id, paymentTypeId, notify: notifier(app) }),
      /does not offer/,
    );
  }
});

dbTest("hold: the preference's date_of_expiration is the order's deadline", async () => {
  const { sql, fake, asUser } = await purchaseEnv();
  const { event, ticketType } = await slowEvent(sql, { policy: "hold", days: 3 });
  const buyer = await asUser();
  const headers = key();
  const res = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id), headers);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const [order] = await sql`select created_at, slow_payment_deadline from public.orders
                             where id = ${res.body.order_id}`;
  assert.equal(hoursBetween(order.created_at, order.slow_payment_deadline), 72);
  assert.equal(res.body.slow_payment_deadline, order.slow_payment_deadline.toISOString());
  const preference = preferenceOf(fake, res.body.order_id);
  assert.equal(preference.body.payment_methods, undefined);
  assert.equal(
    new Date(preference.body.date_of_expiration).toISOString(),
    res.body.slow_payment_deadline,
  );
  // The checkout link itself still closes with the 15-minute hold.
  assert.equal(new Date(preference.body.expiration_date_to).toISOString(), res.body.expires_at);
  // A replay answers the same deadline.
  const replay = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id), headers);
  assert.equal(replay.status, 200);
  assert.equal(replay.body.slow_payment_deadline, res.body.slow_payment_deadline);
});

dbTest(
  "hold: the deadline ends before the event; under a day left, slow methods are left out",
  async () => {
    const { sql, fake, asUser } = await purchaseEnv();
    // Starts in 40 h with 3 days to pay: the deadline is 2 h (the crediting margin) before it.
    const soon = await slowEvent(sql, { policy: "hold", days: 3, startsInHours: 40 });
    const res = await (await asUser()).post(
      "/purchases",
      purchaseBody(soon.event.id, soon.ticketType.id),
      key(),
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(hoursBetween(res.body.slow_payment_deadline, soon.event.starts_at), 2);
    // Starts in 20 h: less than a day to pay a voucher, so the checkout is card-only.
    const tonight = await slowEvent(sql, { policy: "hold", days: 3, startsInHours: 20 });
    const late = await (await asUser()).post(
      "/purchases",
      purchaseBody(tonight.event.id, tonight.ticketType.id),
      key(),
    );
    assert.equal(late.status, 201, JSON.stringify(late.body));
    assert.equal(late.body.slow_payment_deadline, null);
    assert.deepEqual(
      preferenceOf(fake, late.body.order_id).body.payment_methods.excluded_payment_types,
      [{ id: "ticket" }, { id: "atm" }, { id: "bank_transfer" }],
    );
  },
);

dbTest(
  "a policy change applies to new orders; an order keeps the terms its checkout got",
  async () => {
    const { sql, asUser } = await purchaseEnv();
    const { event, ticketType } = await slowEvent(sql, { policy: "hold", days: 3 });
    const first = await (await asUser()).post(
      "/purchases",
      purchaseBody(event.id, ticketType.id),
      key(),
    );
    await sql`update public.events set slow_payments = 'excluded' where id = ${event.id}`;
    const second = await (await asUser()).post(
      "/purchases",
      purchaseBody(event.id, ticketType.id),
      key(),
    );
    const rows = await sql`select id, slow_payment_deadline from public.orders
                          where id in (${first.body.order_id}, ${second.body.order_id})`;
    const deadline = (id: string) => rows.find((r) => r.id === id)?.slow_payment_deadline;
    assert.ok(deadline(first.body.order_id) instanceof Date);
    assert.equal(deadline(second.body.order_id), null);
  },
);
