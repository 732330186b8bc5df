import assert from "node:assert/strict";
import { dbTest } from "../support/harness.ts";
import { purchaseEnv } from "./env.ts";
import { deliver, orderAwaitingPayment, orderState } from "./webhook_support.ts";
import { signedNotification } from "../support/purchase_builders.ts";

const inboxCount = async (sql: Awaited<ReturnType<typeof purchaseEnv>>["sql"]) =>
  (await sql`select count(*)::int as n from public.payment_notifications`)[0].n as number;

dbTest("forged, missing, malformed or stale signatures are 401 and nothing is stored", async () => {
  const { sql, app, fake } = await purchaseEnv();
  const { paymentId } = await orderAwaitingPayment(sql, fake);
  fake.setPaymentStatus(paymentId, "approved");
  const before = await inboxCount(sql);
  const calls = fake.requests.length;
  const good = await signedNotification(paymentId);
  const attempts: Array<Record<string, string>> = [
    { ...good.headers, ...(await signedNotification(paymentId, { secret: "forged" })).headers },
    { "content-type": "application/json" },
    { ...good.headers, "x-signature": "ts=abc,v1=zz" },
    { ...good.headers, "x-request-id": "another-request" },
    {
      ...good.headers,
      ...(await signedNotification(paymentId, { ts: Math.floor(Date.now() / 1000) - 3600 }))
        .headers,
    },
  ];
  for (const headers of attempts) {
    const res = await app.request(good.path, {
      method: "POST",
      headers,
      body: JSON.stringify(good.body),
    });
    assert.equal(res.status, 401, JSON.stringify(headers));
    assert.equal((await res.json()).error.code, "invalid_signature");
  }
  // A valid signature for another payment id does not cover this one.
  const other = await signedNotification(Number(paymentId) + 1);
  const swapped = await app.request(good.path, {
    method: "POST",
    headers: other.headers,
    body: JSON.stringify(good.body),
  });
  assert.equal(swapped.status, 401);
  assert.equal(await inboxCount(sql), before);
  assert.equal(fake.requests.length, calls, "Mercado Pago was never asked");
});

dbTest(
  "10 concurrent deliveries of one approved notification: one change, tickets once",
  async () => {
    const { sql, app, fake } = await purchaseEnv();
    const { order, ticketType, paymentId } = await orderAwaitingPayment(sql, fake, { quantity: 3 });
    fake.setPaymentStatus(paymentId, "approved");
    const notificationId = Math.floor(Math.random() * 1e12);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => deliver(app, paymentId, { notificationId })),
    );
    assert.deepEqual(results.map((r) => r.status), Array(10).fill(200));
    assert.equal(results.filter((r) => !r.body.duplicate).length, 1);
    const state = await orderState(sql, order.order_id, ticketType.id);
    assert.deepEqual(state, { status: "paid", valid: 3, revoked: 0, sold: 3, held: 0 });
    const [{ paid }] = await sql`select count(*)::int as paid from public.audit_log
                                where action = 'order.paid' and entity_id = ${order.order_id}`;
    assert.equal(paid, 1);
    const [{ rows }] = await sql`select count(*)::int as rows from public.payment_notifications
                                where resource_id = ${String(paymentId)}`;
    assert.equal(rows, 1);
  },
);

dbTest("10 different notifications of one approved payment at once: tickets once", async () => {
  const { sql, app, fake } = await purchaseEnv();
  const { order, ticketType, paymentId, buyer, event } = await orderAwaitingPayment(sql, fake, {
    quantity: 2,
  });
  fake.setPaymentStatus(paymentId, "approved");
  const results = await Promise.all(Array.from({ length: 10 }, () => deliver(app, paymentId)));
  assert.ok(results.every((r) => r.status === 200 && r.body.state === "processed"));
  const state = await orderState(sql, order.order_id, ticketType.id);
  assert.deepEqual(state, { status: "paid", valid: 2, revoked: 0, sold: 2, held: 0 });
  const tickets = await sql`select owner_id, event_id, ticket_type_id from public.tickets
                             where order_id = ${order.order_id}`;
  assert.deepEqual(
    tickets.map((t) => [t.owner_id, t.event_id, t.ticket_type_id]),
    Array(2).fill([buyer.id, event.id, ticketType.id]),
  );
});

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest])
  );
}

dbTest("every ordering of pending/approved/refunded ends right and never downgrades", async () => {
  const { sql, app, fake } = await purchaseEnv();
  for (const order of permutations(["pending", "approved", "refunded"])) {
    const setup = await orderAwaitingPayment(sql, fake, { quantity: 2 });
    for (const status of order) {
      // Each notification finds the payment in the state it had when it was sent.
      fake.setPaymentStatus(setup.paymentId, status);
      assert.equal((await deliver(app, setup.paymentId)).status, 200);
    }
    const state = await orderState(sql, setup.order.order_id, setup.ticketType.id);
    // A payment seen refunded before it was seen approved never paid the order: the
    // order keeps waiting for a payment (its hold runs out by itself), nothing issued.
    const issuedBeforeRefund = order.indexOf("approved") < order.indexOf("refunded");
    assert.deepEqual(
      state,
      issuedBeforeRefund
        ? { status: "refunded", valid: 0, revoked: 2, sold: 0, held: 0 }
        : { status: "pending", valid: 0, revoked: 0, sold: 0, held: 2 },
      order.join(" → "),
    );
  }
  for (const order of [["approved", "pending"], ["pending", "approved", "pending"]]) {
    const setup = await orderAwaitingPayment(sql, fake, { quantity: 2 });
    for (const status of order) {
      fake.setPaymentStatus(setup.paymentId, status);
      await deliver(app, setup.paymentId);
    }
    const state = await orderState(sql, setup.order.order_id, setup.ticketType.id);
    assert.deepEqual(state, { status: "paid", valid: 2, revoked: 0, sold: 2, held: 0 });
  }
});

dbTest("a rejected payment fails the order and releases its hold", async () => {
  const { sql, app, fake } = await purchaseEnv();
  const { order, ticketType, paymentId } = await orderAwaitingPayment(sql, fake, { quantity: 2 });
  fake.setPaymentStatus(paymentId, "rejected");
  await deliver(app, paymentId);
  assert.deepEqual(await orderState(sql, order.order_id, ticketType.id), {
    status: "failed",
    valid: 0,
    revoked: 0,
    sold: 0,
    held: 0,
  });
  // A later approval of another attempt still gets the tickets while capacity remains.
  fake.setPaymentStatus(paymentId, "approved");
  await deliver(app, paymentId);
  assert.equal((await orderState(sql, order.order_id, ticketType.id)).status, "paid");
});

dbTest("non-payment topics are stored and ignored without calling Mercado Pago", async () => {
  const { sql, app, fake } = await purchaseEnv();
  const calls = fake.requests.length;
  const n = await signedNotification("123456");
  const res = await app.request(n.path.replace("type=payment", "type=merchant_order"), {
    method: "POST",
    headers: n.headers,
    body: JSON.stringify({ ...n.body, type: "merchant_order" }),
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).state, "ignored");
  assert.equal(fake.requests.length, calls);
  const [row] = await sql`select state, payload from public.payment_notifications
                           where notification_key = ${String(n.body.id)}`;
  assert.equal(row.state, "ignored");
  assert.equal(row.payload.body.type, "merchant_order");
});
