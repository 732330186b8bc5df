import assert from "node:assert/strict";
import { dbTest } from "../support/harness.ts";
import { eventOnSale, key, purchaseBody, purchaseEnv } from "./env.ts";

dbTest("simulated provider: the checkout page approves through the real webhook", async () => {
  const { sql, fake, asUser } = await purchaseEnv({ simulated: true });
  const { event, ticketType } = await eventOnSale(sql, { capacity: 5 });
  const buyer = await asUser();
  const calls = fake.requests.length;
  const created = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id, 2), key());
  assert.equal(created.status, 201);
  const orderId = created.body.order_id;
  assert.match(
    created.body.checkout_url,
    new RegExp(`/functions/v1/purchases/simulate/${orderId}$`),
  );
  const page = await buyer.get(`/purchases/simulate/${orderId}`);
  assert.equal(page.status, 200);
  assert.match(page.body, /Approve payment/);

  const approved = await buyer.post(`/purchases/simulate/${orderId}`, { status: "approved" });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  assert.equal(approved.body.order_status, "paid");
  const [inbox] = await sql`select state, payment_status from public.payment_notifications
                             where resource_id = ${approved.body.payment_id}`;
  assert.deepEqual({ ...inbox }, { state: "processed", payment_status: "approved" });
  const status = await buyer.get(`/purchases/${orderId}/status`);
  assert.equal(status.body.tickets.length, 2);

  // A refund at the (simulated) provider revokes the tickets through the same path.
  const refunded = await buyer.post(`/purchases/simulate/${orderId}`, { status: "refunded" });
  assert.equal(refunded.body.order_status, "refunded");
  const [{ sold }] = await sql`select sold from public.ticket_types where id = ${ticketType.id}`;
  assert.equal(sold, 0);
  assert.equal(fake.requests.length, calls, "the fake Mercado Pago was never called");
});

dbTest("simulated provider: a form post rejects and redirects to the app", async () => {
  const { sql, app, asUser } = await purchaseEnv({ simulated: true });
  const { event, ticketType } = await eventOnSale(sql);
  const created = await (await asUser()).post(
    "/purchases",
    purchaseBody(event.id, ticketType.id),
    key(),
  );
  const res = await app.request(`/purchases/simulate/${created.body.order_id}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "status=rejected",
  });
  assert.equal(res.status, 303);
  assert.match(res.headers.get("location") ?? "", /\/orders\/.+\?result=failure$/);
  const [order] = await sql`select status from public.orders where id = ${created.body.order_id}`;
  assert.equal(order.status, "failed");
});

dbTest("the simulator does not exist when Mercado Pago is configured", async () => {
  const { sql, asUser } = await purchaseEnv();
  const { event, ticketType } = await eventOnSale(sql);
  const buyer = await asUser();
  const created = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id), key());
  const orderId = created.body.order_id;
  assert.equal((await buyer.get(`/purchases/simulate/${orderId}`)).status, 404);
  assert.equal(
    (await buyer.post(`/purchases/simulate/${orderId}`, { status: "approved" })).status,
    404,
  );
  const [order] = await sql`select status from public.orders where id = ${orderId}`;
  assert.equal(order.status, "pending");
});
