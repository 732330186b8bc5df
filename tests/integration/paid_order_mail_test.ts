/**
 * Purchases → notifications → tickets, through the real code paths: a paid
 * order (webhook, delivered many times at once) queues exactly one
 * confirmation whose inline QR images, decoded from the PNGs, validate at the door.
 */
import assert from "node:assert/strict";
import { createTicketsApp } from "../../functions/tickets/routes.ts";
import { dispatchOutbox } from "../../shared/mail/mod.ts";
import { clearSentMail, sentMail } from "../../shared/mail/logging_transport.ts";
import { dbTest } from "../support/harness.ts";
import { callers } from "../support/callers.ts";
import { makeUser } from "../support/builders.ts";
import { makeOrder } from "../support/purchase_builders.ts";
import { decodeQrPng } from "../support/qr_decode.ts";
import { eventOnSale, purchaseEnv } from "../purchases/env.ts";
import { deliver } from "../purchases/webhook_support.ts";

const door = callers(createTicketsApp());

/** A pending order for `quantity` tickets (doors open now) and its approved payment on the fake. */
async function approvedOrder(quantity: number) {
  const env = await purchaseEnv();
  const { event, ticketType } = await eventOnSale(env.sql, { capacity: 10, price: 50_000 }, {
    startsInHours: 1,
  });
  const buyer = await makeUser(env.sql);
  const order = await makeOrder(env.sql, {
    buyer,
    eventId: event.id,
    items: [{ ticketTypeId: ticketType.id, quantity }],
  });
  const paymentId = env.fake.addPayment({
    status: "approved",
    external_reference: order.order_id,
    transaction_amount: order.total / 100,
    currency_id: "ARS",
  });
  return { ...env, event, buyer, order, paymentId };
}

dbTest("a paid order sends one confirmation whose QR images validate at the door", async () => {
  const { sql, app, buyer, event, paymentId } = await approvedOrder(3);
  clearSentMail();
  const deliveries = await Promise.all(Array.from({ length: 8 }, () => deliver(app, paymentId)));
  assert.deepEqual(new Set(deliveries.map((d) => d.status)), new Set([200]));

  const queued = await sql`select id from public.email_outbox
                            where template = 'order_confirmation' and recipient = ${buyer.email}`;
  assert.equal(queued.length, 1, "exactly one confirmation queued");
  await dispatchOutbox(sql);
  const [mail] = sentMail(buyer.email);
  assert.equal(sentMail(buyer.email).length, 1);
  const images = (mail.attachments ?? []).filter((a) => a.type === "image/png");
  assert.equal(images.length, 3, "one QR per ticket");

  const scanner = await door.asScanner(event.id);
  for (const image of images) {
    assert.match(mail.html, new RegExp(`cid:${image.content_id}`));
    const code = decodeQrPng(image.content);
    const first = await scanner.post("/tickets/validate", { code, event_id: event.id });
    assert.equal(first.body.result, "ok", JSON.stringify(first.body));
    const second = await scanner.post("/tickets/validate", { code, event_id: event.id });
    assert.equal(second.body.result, "already_redeemed");
  }
});

dbTest("a refund revokes the tickets and queues one refund notice", async () => {
  const { sql, app, fake, buyer, order, paymentId } = await approvedOrder(2);
  assert.equal((await deliver(app, paymentId)).status, 200);
  fake.setPaymentStatus(paymentId, "refunded");
  await Promise.all(Array.from({ length: 4 }, () => deliver(app, paymentId)));
  const mails = await sql<{ template: string }[]>`
    select template from public.email_outbox where recipient = ${buyer.email} order by template`;
  assert.deepEqual(mails.map((m) => m.template), ["order_confirmation", "refund_notice"]);
  const [{ revoked }] = await sql<{ revoked: number }[]>`
    select count(*)::int as revoked from public.tickets
     where order_id = ${order.order_id} and status = 'revoked'`;
  assert.equal(revoked, 2);
});
