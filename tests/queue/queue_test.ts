import assert from "node:assert/strict";
import { makeUsers } from "../support/builders.ts";
import { expireOrder } from "../support/purchase_builders.ts";
import { preQueueOrder } from "./fairness.ts";
import { type Buyer, buyWith, queuedEvent, queueEnv, queueTest, sleep } from "./env.ts";
import { queueStore } from "../../shared/queue/store.ts";

queueTest(
  "join: one place per account; before the start no position; status needs a join",
  async () => {
    const { sql, admin, buyer, queue } = await queueEnv();
    const { event } = await queuedEvent(sql, admin, { startsIn: 60_000 });
    const [u1, u2] = await makeUsers(sql, 2);
    const [b1, b2] = [await buyer(u1), await buyer(u2)];
    assert.equal((await b1.queue.get(`/queue/${event.id}/status`)).body.error.code, "not_in_queue");
    const first = await b1.queue.post(`/queue/${event.id}/join`);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.state, "waiting");
    assert.equal(first.body.pre_queue, true);
    assert.equal(first.body.position, null);
    assert.equal(first.body.admission, null);
    assert.ok(first.body.poll_after_seconds >= 1);
    const again = await Promise.all([1, 2, 3].map(() => b1.queue.post(`/queue/${event.id}/join`)));
    assert.deepEqual(again.map((r) => r.status), [200, 200, 200]);
    assert.equal((await b2.queue.post(`/queue/${event.id}/join`)).status, 201);
    assert.equal((await queueStore().stats(event.id, Date.now())).waiting, 2);
    assert.equal((await queue.asAnon().post(`/queue/${event.id}/join`)).status, 401);
    assert.equal((await b1.queue.post(`/queue/not-a-uuid/join`)).status, 400);
    assert.equal((await b1.queue.post(`/queue/${crypto.randomUUID()}/join`)).status, 404);
    // Not open yet, and closed.
    const later = await queuedEvent(sql, admin, { startsIn: 7_200_000 });
    await sql`update public.queue_settings set prequeue_opens_at = now() + interval '1 hour'
             where event_id = ${later.event.id}`;
    const { clearQueueCachesForTests } = await import("../../functions/queue/settings_service.ts");
    clearQueueCachesForTests();
    const early = await b1.queue.post(`/queue/${later.event.id}/join`);
    assert.deepEqual([early.status, early.body.error.code], [409, "queue_not_open"]);
    await sql`update public.queue_settings set enabled = false where event_id = ${event.id}`;
    clearQueueCachesForTests();
    assert.equal((await b1.queue.get(`/queue/${event.id}/status`)).body.state, "closed");
    assert.equal((await b2.queue.post(`/queue/${event.id}/join`)).body.error.code, "queue_closed");
  },
);

queueTest(
  "fair order: the pre-queue follows the revealed seed; later joins follow join order",
  async () => {
    const { sql, admin, buyer, queue } = await queueEnv();
    // Admit nobody (factor × available < 1), so every position stays readable.
    const { event } = await queuedEvent(sql, admin, { startsIn: 2500, capacity: 10, factor: 0.05 });
    const early = await Promise.all((await makeUsers(sql, 40)).map(buyer));
    const late = await Promise.all((await makeUsers(sql, 15)).map(buyer));
    await Promise.all(early.map((b) => b.queue.post(`/queue/${event.id}/join`)));
    const commitment = (await queue.asAnon().get(`/queue/${event.id}/fairness`)).body;
    assert.equal(commitment.seed, null);
    while (Date.now() < Date.parse(commitment.starts_at) + 50) await sleep(100);
    for (const b of late) assert.equal((await b.queue.post(`/queue/${event.id}/join`)).status, 201);
    const positions = async (buyers: Buyer[]) => {
      const statuses = await Promise.all(
        buyers.map((b) => b.queue.get(`/queue/${event.id}/status`)),
      );
      return statuses.map((s, i) => ({
        id: buyers[i].user.id,
        position: s.body.position as number,
      }));
    };
    const pre = (await positions(early)).sort((a, b) => a.position - b.position);
    assert.deepEqual(pre.map((p) => p.position), early.map((_, i) => i + 1));
    const { seed } = (await queue.asAnon().get(`/queue/${event.id}/fairness`)).body;
    assert.deepEqual(pre.map((p) => p.id), await preQueueOrder(seed, early.map((b) => b.user.id)));
    const after = await positions(late);
    assert.deepEqual(after.map((p) => p.position), late.map((_, i) => early.length + i + 1));
  },
);

queueTest(
  "admission follows the stock: k × available active, sold out at once, back in order when capacity returns",
  async () => {
    const { sql, admin, buyer } = await queueEnv();
    const { event, ticketType } = await queuedEvent(sql, admin, { capacity: 3 });
    const buyers = await Promise.all((await makeUsers(sql, 6)).map(buyer));
    // deno-lint-ignore no-explicit-any
    const joined: any[] = [];
    for (const b of buyers) joined.push((await b.queue.post(`/queue/${event.id}/join`)).body);
    assert.deepEqual(joined.map((s) => s.state), [
      "admitted",
      "admitted",
      "admitted",
      "waiting",
      "waiting",
      "waiting",
    ]);
    assert.deepEqual(joined.slice(3).map((s) => s.position), [1, 2, 3]);
    assert.ok(joined.slice(0, 3).every((s) => typeof s.admission?.token === "string"));
    assert.equal((await queueStore().stats(event.id, Date.now())).active, 3);
    const bought = await Promise.all(
      buyers.slice(0, 3).map((b, i) =>
        buyWith(b, event.id, ticketType.id, joined[i].admission.token)
      ),
    );
    assert.deepEqual(bought.map((r) => r.status), [201, 201, 201], JSON.stringify(bought[0].body));
    // The hold is the queue's: hold_minutes (5), not HOLD_MINUTES (15).
    const minutes = (Date.parse(bought[0].body.expires_at) - Date.now()) / 60_000;
    assert.ok(minutes > 4 && minutes <= 5, `hold of ${minutes} min`);
    await sleep(300); // the stock snapshot's age
    const soldOut = await buyers[3].queue.get(`/queue/${event.id}/status`);
    assert.equal(soldOut.body.state, "sold_out");
    // A hold expires: its seat comes back and the next in line is admitted once the
    // settled buyers stop counting (SETTLED_LINGER_MS).
    await expireOrder(sql, bought[0].body.order_id);
    await sleep(3300);
    const statuses = await Promise.all(
      buyers.slice(3).map((b) => b.queue.get(`/queue/${event.id}/status`)),
    );
    assert.deepEqual(statuses.map((s) => s.body.state), ["admitted", "waiting", "waiting"]);
    assert.deepEqual(statuses.slice(1).map((s) => s.body.position), [1, 2]);
    // The buyer whose hold expired is not admitted again: joining puts them at the back.
    const back = await buyers[0].queue.post(`/queue/${event.id}/join`);
    assert.deepEqual([back.status, back.body.state, back.body.position], [201, "waiting", 3]);
  },
);
