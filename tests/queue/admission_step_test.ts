/**
 * Admissions that do not wait for polls (the background step, POST
 * /queue/tick), and a purchase retried with its Idempotency-Key after its
 * admission token expired (a replay of the order, not a 403).
 */
import assert from "node:assert/strict";
import { DEV_SCHEDULER_SECRET } from "../../shared/config.ts";
import { queueStore } from "../../shared/queue/store.ts";
import { signAdmission } from "../../shared/queue/tokens.ts";
import { makeUsers } from "../support/builders.ts";
import { key, purchaseBody } from "../purchases/env.ts";
import { queuedEvent, queueEnv, queueTest, sleep } from "./env.ts";

const scheduler = { "x-scheduler-secret": DEV_SCHEDULER_SECRET };

queueTest("the background step admits the next in line with nobody polling", async () => {
  const { sql, admin, buyer, queue } = await queueEnv();
  const { event, ticketType } = await queuedEvent(sql, admin, { capacity: 1 });
  const [first, second, third] = await Promise.all((await makeUsers(sql, 3)).map(buyer));
  for (const b of [first, second, third]) await b.queue.post(`/queue/${event.id}/join`);
  assert.equal((await queueStore().stats(event.id, Date.now())).active, 1);
  // A second seat comes on sale; nobody polls.
  await sql`update public.ticket_types set capacity = 2 where id = ${ticketType.id}`;
  await sleep(300); // the stock snapshot's age
  assert.equal((await queueStore().stats(event.id, Date.now())).active, 1, "nothing admits alone");
  assert.equal((await queue.asAnon().post("/queue/tick")).status, 401);
  const tick = await queue.asAnon().post("/queue/tick", undefined, scheduler);
  assert.equal(tick.status, 200, JSON.stringify(tick.body));
  const mine = tick.body.queues.find((q: { event_id: string }) => q.event_id === event.id);
  assert.deepEqual(
    [mine.active, mine.waiting, mine.admitted, mine.sold_out],
    [2, 1, 2, false],
  );
  // The stats script admits nobody: the step did, and the second in line is the one.
  assert.equal((await queueStore().stats(event.id, Date.now())).active, 2);
  const polled = await second.queue.get(`/queue/${event.id}/status`);
  assert.equal(polled.body.state, "admitted");
  assert.equal((await third.queue.get(`/queue/${event.id}/status`)).body.position, 1);
  // Queues not started or turned off are left alone.
  const later = await queuedEvent(sql, admin, { startsIn: 60_000 });
  const ids = (await queue.asAnon().post("/queue/tick", undefined, scheduler)).body.queues
    .map((q: { event_id: string }) => q.event_id);
  assert.ok(ids.includes(event.id) && !ids.includes(later.event.id));
});

queueTest(
  "a purchase retried with its key after the token expired replays the order; a new key is refused",
  async () => {
    const { sql, admin, buyer } = await queueEnv();
    const { event, ticketType } = await queuedEvent(sql, admin, { capacity: 5 });
    const [b] = await Promise.all((await makeUsers(sql, 1)).map(buyer));
    const joined = await b.queue.post(`/queue/${event.id}/join`);
    const token = joined.body.admission.token as string;
    const idempotency = key();
    const body = { ...purchaseBody(event.id, ticketType.id, 2), admission_token: token };
    const first = await b.purchases.post("/purchases", body, idempotency);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    // The same admission, its window over: what the buyer's retry carries an hour later.
    const payload = JSON.parse(atob(token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/")));
    const expired = await signAdmission({
      eventId: event.id,
      userId: b.user.id,
      tokenId: payload.t,
      expiresAt: Math.floor(Date.now() / 1000) - 60,
    });
    const retry = await b.purchases.post(
      "/purchases",
      { ...body, admission_token: expired },
      idempotency,
    );
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.headers.get("idempotent-replayed"), "true");
    assert.equal(retry.body.order_id, first.body.order_id);
    // A new key with the expired token: refused, and no second order.
    const fresh = await b.purchases.post(
      "/purchases",
      { ...body, admission_token: expired },
      key(),
    );
    assert.deepEqual([fresh.status, fresh.body.error?.code], [403, "admission_expired"]);
    // The same key with another body is still a conflict, token or not.
    const other = await b.purchases.post("/purchases", {
      ...purchaseBody(event.id, ticketType.id, 1),
      admission_token: expired,
    }, idempotency);
    assert.deepEqual([other.status, other.body.error?.code], [409, "idempotency_conflict"]);
    const [{ orders }] = await sql`select count(*)::int as orders from public.orders
                                    where event_id = ${event.id}`;
    assert.equal(orders, 1);
  },
);
