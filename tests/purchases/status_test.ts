import assert from "node:assert/strict";
import { dbTest } from "../support/harness.ts";
import { payOrder } from "../support/purchase_builders.ts";
import { eventOnSale, key, purchaseEnv } from "./env.ts";

dbTest("an order's status: the buyer and admins see it, nobody else (404)", async () => {
  const { sql, asUser, asAdmin, asAnon } = await purchaseEnv();
  const { event, ticketType } = await eventOnSale(sql, { price: 5_000 });
  const buyer = await asUser();
  const created = await buyer.post("/purchases", {
    event_id: event.id,
    items: [{ ticket_type_id: ticketType.id, quantity: 2 }],
    attendees: [{ ticket_type_id: ticketType.id, name: "Ana Pérez", email: "ana@example.com" }],
  }, key());
  assert.equal(created.status, 201);
  const path = `/purchases/${created.body.order_id}/status`;
  const pending = await buyer.get(path);
  assert.equal(pending.status, 200);
  assert.equal(pending.body.status, "pending");
  assert.equal(pending.body.checkout_url, created.body.checkout_url);
  assert.deepEqual(pending.body.items, [{
    ticket_type_id: ticketType.id,
    name: ticketType.name,
    quantity: 2,
    unit_price: 5_000,
  }]);
  assert.deepEqual(pending.body.tickets, []);

  const stranger = await asUser();
  const hidden = await stranger.get(path);
  assert.equal(hidden.status, 404);
  assert.equal(hidden.body.error.code, "order_not_found");
  assert.equal((await stranger.get(`/purchases/${crypto.randomUUID()}/status`)).status, 404);
  assert.equal((await asAnon().get(path)).status, 401);
  assert.equal((await buyer.get("/purchases/not-a-uuid/status")).status, 400);

  await payOrder(sql, created.body.order_id);
  const paid = await (await asAdmin()).get(path);
  assert.equal(paid.status, 200);
  assert.equal(paid.body.status, "paid");
  assert.equal(paid.body.checkout_url, null);
  assert.deepEqual(
    paid.body.tickets.map((
      t: Record<string, unknown>,
    ) => [t.status, t.attendee_name, t.attendee_email]),
    [["valid", "Ana Pérez", "ana@example.com"], ["valid", null, null]],
  );
});
