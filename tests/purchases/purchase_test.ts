import assert from "node:assert/strict";
import { dbTest } from "../support/harness.ts";
import { eventOnSale, key, purchaseBody, purchaseEnv } from "./env.ts";
import { expireOrder } from "../support/purchase_builders.ts";

dbTest("a purchase holds the tickets and returns a Mercado Pago checkout URL", async () => {
  const { sql, fake, asUser } = await purchaseEnv();
  const { event, ticketType } = await eventOnSale(sql, { price: 250_050, capacity: 5 });
  const buyer = await asUser();
  const res = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id, 2), key());
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.status, "pending");
  assert.equal(res.body.total, 500_100);
  assert.equal(res.body.currency, "ARS");
  assert.match(res.body.checkout_url, /^https:\/\/www\.mercadopago\.test\/checkout/);
  const preference = fake.preferences.find((p) => p.body.external_reference === res.body.order_id);
  assert.ok(preference, "the SDK created a preference on the fake");
  assert.equal(preference.idempotency_key, `preference-${res.body.order_id}`);
  assert.deepEqual(preference.body.items.map((i: { unit_price: number }) => i.unit_price), [
    2500.5,
  ]);
  assert.equal(preference.body.payer.email, buyer.user!.email);
  assert.match(preference.body.notification_url, /\/functions\/v1\/purchases\/webhook$/);
  assert.match(preference.body.back_urls.success, new RegExp(`/orders/${res.body.order_id}`));
  assert.equal(new Date(preference.body.expiration_date_to).toISOString(), res.body.expires_at);
  const [{ held }] = await sql`select public.ticket_type_held(${ticketType.id}) as held`;
  assert.equal(held, 2);
});

dbTest("Idempotency-Key: a replay returns the same order, another body is 409", async () => {
  const { sql, fake, asUser } = await purchaseEnv();
  const { event, ticketType } = await eventOnSale(sql, { capacity: 10 });
  const buyer = await asUser();
  const headers = key();
  const replays = await Promise.all(
    Array.from(
      { length: 5 },
      () => buyer.post("/purchases", purchaseBody(event.id, ticketType.id, 2), headers),
    ),
  );
  const statuses = replays.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 200, 201]);
  assert.equal(new Set(replays.map((r) => r.body.order_id)).size, 1);
  assert.equal(new Set(replays.map((r) => r.body.checkout_url)).size, 1);
  const orderId = replays[0].body.order_id;
  assert.equal(fake.preferences.filter((p) => p.body.external_reference === orderId).length, 1);
  const conflict = await buyer.post(
    "/purchases",
    purchaseBody(event.id, ticketType.id, 3),
    headers,
  );
  assert.equal(conflict.status, 409);
  assert.equal(conflict.body.error.code, "idempotency_conflict");
  // The same key from another user is that user's own key.
  const other = await asUser();
  const theirs = await other.post("/purchases", purchaseBody(event.id, ticketType.id, 1), headers);
  assert.equal(theirs.status, 201);
  const [{ held }] = await sql`select public.ticket_type_held(${ticketType.id}) as held`;
  assert.equal(held, 3);
});

dbTest("bad bodies get 400/404/409 with stable codes and hold nothing", async () => {
  const { sql, asUser } = await purchaseEnv();
  const { makeEvent } = await import("../support/builders.ts");
  const { makeTicketType } = await import("../support/purchase_builders.ts");
  const { event, ticketType } = await eventOnSale(sql, { capacity: 100, maxPerOrder: 4 });
  const elsewhere = await eventOnSale(sql);
  const draft = await makeEvent(sql, { status: "draft" });
  const draftType = await makeTicketType(sql, draft.id);
  const notYet = await makeTicketType(sql, event.id, { salesStartInHours: 2 });
  const over = await makeTicketType(sql, event.id, { salesStartInHours: -5, salesEndInHours: -1 });
  const inactive = await makeTicketType(sql, event.id, { isActive: false });
  const buyer = await asUser();
  const cases: Array<[unknown, number, string]> = [
    [{ event_id: event.id, items: [] }, 400, "validation_failed"],
    [purchaseBody(event.id, ticketType.id, 0), 400, "validation_failed"],
    [purchaseBody(event.id, ticketType.id, -1), 400, "validation_failed"],
    [purchaseBody(event.id, ticketType.id, 1_000_000), 400, "validation_failed"],
    [purchaseBody(event.id, ticketType.id, 1.5), 400, "validation_failed"],
    [
      { event_id: event.id, items: [{ ticket_type_id: "nope", quantity: 1 }] },
      400,
      "validation_failed",
    ],
    [
      {
        event_id: event.id,
        items: [{ ticket_type_id: ticketType.id, quantity: 1 }, {
          ticket_type_id: ticketType.id,
          quantity: 1,
        }],
      },
      400,
      "validation_failed",
    ],
    [
      {
        ...purchaseBody(event.id, ticketType.id, 1),
        attendees: [{ ticket_type_id: ticketType.id, name: "A" }, {
          ticket_type_id: ticketType.id,
          name: "B",
        }],
      },
      400,
      "validation_failed",
    ],
    [purchaseBody(event.id, crypto.randomUUID()), 404, "ticket_type_not_found"],
    [purchaseBody(event.id, elsewhere.ticketType.id), 404, "ticket_type_not_found"],
    [purchaseBody(event.id, inactive.id), 404, "ticket_type_not_found"],
    [purchaseBody(crypto.randomUUID(), ticketType.id), 404, "event_not_found"],
    [purchaseBody(event.id, ticketType.id, 5), 400, "max_per_order_exceeded"],
    [purchaseBody(draft.id, draftType.id), 409, "event_not_on_sale"],
    [purchaseBody(event.id, notYet.id), 409, "sales_not_open"],
    [purchaseBody(event.id, over.id), 409, "sales_closed"],
  ];
  for (const [body, status, code] of cases) {
    const res = await buyer.post("/purchases", body, key());
    assert.equal(res.status, status, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, code, JSON.stringify(body));
  }
  const missingKey = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id));
  assert.equal(missingKey.status, 400);
  assert.equal(missingKey.body.error.details[0].field, "header.idempotency-key");
  const anon = await (await purchaseEnv()).asAnon().post(
    "/purchases",
    purchaseBody(event.id, ticketType.id),
    key(),
  );
  assert.equal(anon.status, 401);
  const [{ orders }] = await sql`select count(*)::int as orders from public.orders
                                  where buyer_id = ${buyer.user!.id}`;
  assert.equal(orders, 0);
});

dbTest("the per-user cap counts paid tickets and active holds of the event", async () => {
  const { sql, asUser } = await purchaseEnv();
  const { payOrder } = await import("../support/purchase_builders.ts");
  const { event, ticketType } = await eventOnSale(sql, { capacity: 100 }, { maxTicketsPerUser: 4 });
  const buyer = await asUser();
  const first = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id, 2), key());
  assert.equal(first.status, 201);
  await payOrder(sql, first.body.order_id);
  const held = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id, 1), key());
  assert.equal(held.status, 201);
  const tooMany = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id, 2), key());
  assert.equal(tooMany.status, 409);
  assert.equal(tooMany.body.error.code, "user_limit_exceeded");
  assert.deepEqual(tooMany.body.error.details, {
    max_tickets_per_user: 4,
    already_owned_or_held: 3,
    requested: 2,
  });
  // Concurrent attempts by one buyer cannot pass the cap together.
  const racers = await Promise.all(
    Array.from(
      { length: 6 },
      () => buyer.post("/purchases", purchaseBody(event.id, ticketType.id, 1), key()),
    ),
  );
  assert.equal(racers.filter((r) => r.status === 201).length, 1);
  assert.ok(racers.every((r) => r.status === 201 || r.body.error.code === "user_limit_exceeded"));
});

dbTest("Mercado Pago down: 502 payment_provider_unavailable and the hold is released", async () => {
  const { sql, fake, asUser } = await purchaseEnv();
  const { event, ticketType } = await eventOnSale(sql, { capacity: 3 });
  const buyer = await asUser();
  const headers = key();
  fake.fail("preferences", 500);
  const down = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id, 3), headers);
  assert.equal(down.status, 502);
  assert.equal(down.body.error.code, "payment_provider_unavailable");
  const [{ held }] = await sql`select public.ticket_type_held(${ticketType.id}) as held`;
  assert.equal(held, 0);
  const [{ orders }] = await sql`select count(*)::int as orders from public.orders
                                  where buyer_id = ${buyer.user!.id}`;
  assert.equal(orders, 0, "no orphaned pending order");
  fake.fail("preferences", 401);
  const refused = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id, 3), headers);
  assert.equal(refused.status, 502);
  // Back up (and slow): the same key now buys the released tickets.
  fake.reset();
  fake.delay("preferences", 200);
  const retried = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id, 3), headers);
  assert.equal(retried.status, 201);
  const other = await asUser();
  const soldOut = await other.post("/purchases", purchaseBody(event.id, ticketType.id, 1), key());
  assert.equal(soldOut.body.error.code, "sold_out");
  assert.deepEqual(soldOut.body.error.details, { ticket_type_id: ticketType.id, available: 0 });
});

dbTest("purchases are rate limited per user with Retry-After", async () => {
  const { sql, asUser } = await purchaseEnv();
  const { event } = await eventOnSale(sql);
  const buyer = await asUser();
  const responses = [];
  for (let i = 0; i < 22; i++) {
    responses.push(
      await buyer.post("/purchases", purchaseBody(event.id, crypto.randomUUID()), key()),
    );
  }
  const limited = responses.filter((r) => r.status === 429);
  assert.equal(limited.length, 2);
  assert.equal(limited[0].body.error.code, "rate_limited");
  assert.ok(Number(limited[0].headers.get("retry-after")) >= 1);
  const someoneElse = await asUser();
  const fine = await someoneElse.post(
    "/purchases",
    purchaseBody(event.id, crypto.randomUUID()),
    key(),
  );
  assert.equal(fine.status, 404);
});

dbTest("a sold-out flag answers from Redis for seconds, then Postgres decides again", async () => {
  const { sql, asUser } = await purchaseEnv();
  const { cache } = await import("../../shared/cache/mod.ts");
  const { soldOutKey } = await import("../../functions/purchases/sold_out.ts");
  const { event, ticketType } = await eventOnSale(sql, { capacity: 1 });
  const first = await (await asUser()).post(
    "/purchases",
    purchaseBody(event.id, ticketType.id),
    key(),
  );
  assert.equal(first.status, 201);
  const second = await (await asUser()).post(
    "/purchases",
    purchaseBody(event.id, ticketType.id),
    key(),
  );
  assert.equal(second.body.error.code, "sold_out");
  assert.equal(await cache().get(soldOutKey(ticketType.id)), true);
  // With the flag set, even a freed place is refused until the flag expires (never the authority):
  await expireOrder(sql, first.body.order_id);
  const fast = await (await asUser()).post(
    "/purchases",
    purchaseBody(event.id, ticketType.id),
    key(),
  );
  assert.equal(fast.body.error.code, "sold_out");
  await cache().del(soldOutKey(ticketType.id)); // as the TTL would, a few seconds later
  const again = await (await asUser()).post(
    "/purchases",
    purchaseBody(event.id, ticketType.id),
    key(),
  );
  assert.equal(again.status, 201);
});

dbTest("a same-key retry gets its order back while the sold-out flag is set", async () => {
  const { sql, asUser } = await purchaseEnv();
  const { cache } = await import("../../shared/cache/mod.ts");
  const { soldOutKey } = await import("../../functions/purchases/sold_out.ts");
  const { event, ticketType } = await eventOnSale(sql, { capacity: 1 });
  const a = await asUser();
  const aKey = key();
  const first = await a.post("/purchases", purchaseBody(event.id, ticketType.id), aKey);
  assert.equal(first.status, 201);
  const b = await (await asUser()).post("/purchases", purchaseBody(event.id, ticketType.id), key());
  assert.equal(b.body.error.code, "sold_out");
  assert.equal(await cache().get(soldOutKey(ticketType.id)), true, "the flag is set");
  const retries = await Promise.all(
    Array.from(
      { length: 3 },
      () => a.post("/purchases", purchaseBody(event.id, ticketType.id), aKey),
    ),
  );
  for (const retry of retries) {
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.order_id, first.body.order_id);
    assert.equal(retry.body.checkout_url, first.body.checkout_url);
  }
  // Another body under the same key is still a conflict, flag or not.
  const other = await a.post("/purchases", purchaseBody(event.id, ticketType.id, 2), aKey);
  assert.equal(other.body.error.code, "idempotency_conflict");
  // A new key from A is a new purchase: the flag answers it.
  const fresh = await a.post("/purchases", purchaseBody(event.id, ticketType.id), key());
  assert.equal(fresh.body.error.code, "sold_out");
});
