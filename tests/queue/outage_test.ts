/**
 * Upstash unreachable mid-sale (the queue's proxy stopped or hanging): the
 * queue fails closed for everyone new (503 queue_unavailable + Retry-After,
 * in bounded time), admitted buyers still buy with their tokens, single use
 * and capacity still hold because Postgres guards them.
 */
import assert from "node:assert/strict";
import { makeUsers } from "../support/builders.ts";
import { buyWith, queuedEvent, queueEnv, queueTest, startQueueProxy } from "./env.ts";

queueTest(
  "Redis down mid-sale: no new admissions, admitted buyers finish, nothing oversold",
  async () => {
    const { sql, admin, buyer } = await queueEnv();
    const proxy = await startQueueProxy();
    const { event, ticketType } = await queuedEvent(sql, admin, { capacity: 5 });
    const buyers = await Promise.all((await makeUsers(sql, 9)).map(buyer));
    const tokens: string[] = [];
    for (const b of buyers.slice(0, 8)) {
      const res = await b.queue.post(`/queue/${event.id}/join`);
      if (res.body.admission) tokens.push(res.body.admission.token);
    }
    assert.equal(tokens.length, 5);
    const first = await buyWith(buyers[0], event.id, ticketType.id, tokens[0]);
    assert.equal(first.status, 201);

    for (const mode of ["hang", "down"] as const) {
      if (mode === "hang") proxy.failWith("hang");
      else await proxy.close();
      const started = performance.now();
      const [waiting, newcomer] = await Promise.all([
        buyers[6].queue.get(`/queue/${event.id}/status`),
        buyers[8].queue.post(`/queue/${event.id}/join`),
      ]);
      const ms = performance.now() - started;
      for (const res of [waiting, newcomer]) {
        assert.deepEqual([res.status, res.body.error.code], [503, "queue_unavailable"], mode);
        assert.ok(Number(res.headers.get("retry-after")) >= 1);
      }
      assert.ok(ms < 5000, `${mode}: answered in ${Math.round(ms)} ms`);
    }

    // Admitted buyers still buy (the queue's bookkeeping is skipped, the token is not).
    const bought = await Promise.all(
      [1, 2, 3, 4].map((i) => buyWith(buyers[i], event.id, ticketType.id, tokens[i])),
    );
    assert.deepEqual(bought.map((r) => r.status), [201, 201, 201, 201]);
    const replay = await buyWith(buyers[1], event.id, ticketType.id, tokens[1]);
    assert.deepEqual([replay.status, replay.body.error.code], [403, "admission_used"]);
    const tokenless = await buyWith(buyers[6], event.id, ticketType.id);
    assert.deepEqual([tokenless.status, tokenless.body.error.code], [403, "admission_required"]);
    const [row] = await sql`select capacity, sold, public.ticket_type_held(id) as held
                            from public.ticket_types where id = ${ticketType.id}`;
    assert.deepEqual({ ...row }, { capacity: 5, sold: 0, held: 5 });

    // Back up: the queue answers again, and with no seat left tells the line so.
    await startQueueProxy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await buyers[6].queue.get(`/queue/${event.id}/status`);
    assert.deepEqual([after.status, after.body.state], [200, "sold_out"]);
  },
);
