/** Invariant 5 under concurrency: racing dispatchers send each queued mail exactly once. */
import assert from "node:assert/strict";
import { createSql } from "../../shared/db/connect.ts";
import { CircuitBreaker } from "../../shared/circuit_breaker.ts";
import { dispatchOutbox } from "../../shared/mail/dispatcher.ts";
import { claimBatch } from "../../shared/mail/outbox.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { DATABASE_URL } from "../support/services.ts";
import {
  queueTestEmails,
  resetOutbox,
  withFakeSendgrid,
} from "../support/notification_builders.ts";

const breaker = () => new CircuitBreaker({ name: "test", failureThreshold: 5, cooldownMs: 1000 });

dbTest("two dispatchers racing over 200 queued emails send each exactly once", async () => {
  const { sql, databaseUrl } = await setupHarness();
  await resetOutbox(sql);
  const queued = await queueTestEmails(sql, 200, `race-${crypto.randomUUID()}`);
  await withFakeSendgrid(async (fake) => {
    fake.setMode({ kind: "accept", delayMs: 2 });
    // Two pools stand in for two edge isolates invoked at the same moment. The embedded
    // PGlite serves one connection at a time: another pool's connects are turned away until
    // the harness's idles out, so there both dispatchers share that one connection (as two
    // dispatch calls share the dev gateway's), interleaving statement by statement.
    const pools = DATABASE_URL
      ? [createSql(databaseUrl, { max: 4 }), createSql(databaseUrl, { max: 4 })]
      : [sql, sql];
    try {
      const reports = await Promise.all(
        pools.map((pool) =>
          dispatchOutbox(pool, { batchSize: 10, concurrency: 4, breaker: breaker() })
        ),
      );
      const sentAtFake = fake.accepted().map((m) => m.to);
      assert.equal(sentAtFake.length, 200, "the fake accepted 200 mails");
      assert.equal(new Set(sentAtFake).size, 200, "no recipient got two");
      assert.deepEqual([...sentAtFake].sort(), [...queued].sort());
      assert.equal(fake.calls.length, 200, "no extra calls reached SendGrid");
      assert.deepEqual(reports.map((r) => r.sent).reduce((a, b) => a + b), 200);
      assert.ok(
        reports.every((r) => r.sent > 0),
        `both dispatchers worked: ${reports.map((r) => r.sent)}`,
      );
      const [db] = await sql<{ sent: number; single: number; ids: number }[]>`
        select count(*) filter (where status = 'sent')::int as sent,
               count(*) filter (where attempts = 1)::int as single,
               count(distinct provider_message_id)::int as ids
          from public.email_outbox`;
      assert.deepEqual(db, { sent: 200, single: 200, ids: 200 });
    } finally {
      if (DATABASE_URL) await Promise.all(pools.map((pool) => pool.end({ timeout: 1 })));
    }
  });
});

dbTest("a row whose dispatcher died is reclaimed after its lease and sent once", async () => {
  const { sql } = await setupHarness();
  await resetOutbox(sql);
  const [recipient] = await queueTestEmails(sql, 1, `crash-${crypto.randomUUID()}`);
  const [claimed] = await claimBatch(sql, { limit: 5, leaseMs: 60_000 });
  assert.equal(claimed.recipient, recipient);
  await withFakeSendgrid(async (fake) => {
    const live = await dispatchOutbox(sql, { breaker: breaker() });
    assert.equal(live.claimed, 0, "a leased row is not claimable");
    // The dispatcher "crashed": its lease runs out.
    await sql`update public.email_outbox set locked_until = now() - interval '1 second'`;
    const report = await dispatchOutbox(sql, { breaker: breaker() });
    assert.equal(report.sent, 1);
    assert.deepEqual(fake.accepted().map((m) => m.to), [recipient]);
    const [row] = await sql`select status, attempts from public.email_outbox`;
    assert.deepEqual({ ...row }, { status: "sent", attempts: 2 });
  });
});

dbTest("a crash on the last allowed attempt ends failed, for an admin to look at", async () => {
  const { sql } = await setupHarness();
  await resetOutbox(sql);
  await queueTestEmails(sql, 1, `exhausted-${crypto.randomUUID()}`);
  await sql`update public.email_outbox set max_attempts = 1`;
  await claimBatch(sql, { limit: 1, leaseMs: 60_000 });
  await sql`update public.email_outbox set locked_until = now() - interval '1 second'`;
  await withFakeSendgrid(async (fake) => {
    const report = await dispatchOutbox(sql, { breaker: breaker() });
    assert.equal(report.failed, 1);
    assert.equal(fake.calls.length, 0);
    const [row] = await sql`select status, last_error from public.email_outbox`;
    assert.equal(row.status, "failed");
    assert.match(row.last_error, /lease expired/);
  });
});
