import assert from "node:assert/strict";
import { makeUsers } from "../support/builders.ts";
import { eventOnSale, key, purchaseBody } from "../purchases/env.ts";
import { expireOrder } from "../support/purchase_builders.ts";
import { sha256Hex } from "./fairness.ts";
import { queueEnv, queueTest } from "./env.ts";

const settingsBody = (startsIn: number) => ({
  enabled: true,
  prequeue_opens_at: new Date(Date.now() + startsIn - 60_000).toISOString(),
  starts_at: new Date(Date.now() + startsIn).toISOString(),
  window_seconds: 300,
  admit_factor: 1.5,
  hold_minutes: 4,
});

queueTest(
  "settings: admins and the event's coordinators set them; the seed stays secret until the start",
  async () => {
    const { sql, admin, queue } = await queueEnv();
    const { event } = await eventOnSale(sql);
    const created = await admin.put(`/queue/${event.id}/settings`, settingsBody(3_600_000));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.seed, null);
    assert.match(created.body.seed_sha256, /^[0-9a-f]{64}$/);
    assert.equal(created.body.admit_factor, 1.5);
    const coordinator = await queue.asCoordinator(event.id);
    const changed = await coordinator.put(`/queue/${event.id}/settings`, {
      ...settingsBody(3_600_000),
      enabled: false,
    });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.seed_sha256, created.body.seed_sha256, "the seed is drawn once");
    assert.equal((await coordinator.get(`/queue/${event.id}/settings`)).body.enabled, false);
    for (const other of [await queue.asUser(), await queue.asScanner(event.id)]) {
      assert.equal(
        (await other.put(`/queue/${event.id}/settings`, settingsBody(1000))).status,
        403,
      );
      assert.equal((await other.get(`/queue/${event.id}/settings`)).status, 403);
    }
    const anon = await queue.asAnon().get(`/queue/${event.id}/fairness`);
    assert.equal(anon.status, 200);
    assert.deepEqual([anon.body.seed, anon.body.seed_sha256], [null, created.body.seed_sha256]);
    const bad = await admin.put(`/queue/${event.id}/settings`, {
      ...settingsBody(1000),
      prequeue_opens_at: new Date(Date.now() + 10_000).toISOString(),
    });
    assert.equal(bad.status, 400);
    assert.equal((await admin.put(`/queue/${event.id}/settings`, { enabled: "yes" })).status, 400);
    const nowhere = await admin.put(`/queue/${crypto.randomUUID()}/settings`, settingsBody(1000));
    assert.deepEqual([nowhere.status, nowhere.body.error.code], [404, "event_not_found"]);
    assert.equal((await queue.asAnon().get(`/queue/${crypto.randomUUID()}/fairness`)).status, 404);
  },
);

queueTest("after the start the seed is revealed, matches its hash, and cannot change", async () => {
  const { sql, admin, queue } = await queueEnv();
  const { event } = await eventOnSale(sql);
  const body = settingsBody(-1000);
  const created = await admin.put(`/queue/${event.id}/settings`, body);
  assert.equal(created.status, 201);
  const fairness = (await queue.asAnon().get(`/queue/${event.id}/fairness`)).body;
  assert.match(fairness.seed, /^[0-9a-f]{64}$/);
  assert.equal(await sha256Hex(fairness.seed), fairness.seed_sha256);
  const moved = await admin.put(`/queue/${event.id}/settings`, {
    ...body,
    starts_at: new Date(Date.now() + 60_000).toISOString(),
  });
  assert.deepEqual([moved.status, moved.body.error.code], [409, "queue_started"]);
  // The database refuses it too (a hand edit in Studio).
  await assert.rejects(
    sql`update public.queue_settings set seed = repeat('0', 64) where event_id = ${event.id}`,
    /queue_started/,
  );
  // Other changes stay possible (turning it off, a longer window).
  const off = await admin.put(`/queue/${event.id}/settings`, { ...body, enabled: false });
  assert.equal(off.status, 200);
});

queueTest(
  "queue off: purchases as before; without a queue, unpaid holds per account and event are limited",
  async () => {
    const { sql, admin, buyer } = await queueEnv();
    const { event, ticketType } = await eventOnSale(sql, { capacity: 100 }, {
      maxTicketsPerUser: 100,
    });
    await admin.put(`/queue/${event.id}/settings`, { ...settingsBody(-1000), enabled: false });
    const [user] = await makeUsers(sql, 1);
    const b = await buyer(user);
    // Five unpaid orders in the window (each left to expire), then the sixth is refused.
    for (let i = 0; i < 5; i++) {
      const res = await b.purchases.post(
        "/purchases",
        purchaseBody(event.id, ticketType.id),
        key(),
      );
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await expireOrder(sql, res.body.order_id);
    }
    const refused = await b.purchases.post(
      "/purchases",
      purchaseBody(event.id, ticketType.id),
      key(),
    );
    assert.deepEqual([refused.status, refused.body.error.code], [429, "hold_limit_exceeded"]);
    assert.deepEqual(refused.body.error.details, { limit: 5, window_minutes: 60 });
    // Per event: another event still sells to them.
    const other = await eventOnSale(sql);
    const elsewhere = await b.purchases.post(
      "/purchases",
      purchaseBody(other.event.id, other.ticketType.id),
      key(),
    );
    assert.equal(elsewhere.status, 201);
    const [{ count }] = await sql`select count(*)::int from public.orders
                                 where buyer_id = ${user.id} and event_id = ${event.id}`;
    assert.equal(count, 5);
  },
);
