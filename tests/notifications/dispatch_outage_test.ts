/** SendGrid outages, rate limits and hangs: mail waits, nothing is lost, the breaker stops calls. */
import assert from "node:assert/strict";
import { CircuitBreaker } from "../../shared/circuit_breaker.ts";
import { type DispatchOptions, dispatchOutbox } from "../../shared/mail/dispatcher.ts";
import { createSendgridTransport } from "../../shared/mail/sendgrid.ts";
import { sleep } from "../../shared/retry.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import {
  queueTestEmails,
  resetOutbox,
  withFakeSendgrid,
} from "../support/notification_builders.ts";

const COOLDOWN_MS = 300;

dbTest(
  "SendGrid down then back: every email sent once, attempts recorded, breaker stopped calls",
  async () => {
    const { sql } = await setupHarness();
    await resetOutbox(sql);
    const queued = await queueTestEmails(sql, 30, `outage-${crypto.randomUUID()}`);
    const breaker = new CircuitBreaker({
      name: "test",
      failureThreshold: 5,
      cooldownMs: COOLDOWN_MS,
    });
    const options: DispatchOptions = {
      breaker,
      batchSize: 10,
      concurrency: 1,
      backoff: { baseMs: 50, maxMs: 200 },
    };
    await withFakeSendgrid(async (fake) => {
      fake.setMode({ kind: "fail", status: 500 });
      const first = await dispatchOutbox(sql, options);
      assert.equal(fake.calls.length, 5, "the breaker opened after 5 consecutive failures");
      assert.equal(first.breaker, "open");
      assert.equal(first.stopped_by, "breaker_open");
      assert.deepEqual([first.retried, first.released], [5, 5], "the rest of the batch went back");

      const whileOpen = await dispatchOutbox(sql, options);
      assert.equal(fake.calls.length, 5, "an open breaker makes no calls at all");
      assert.equal(whileOpen.claimed, 0);

      await sleep(COOLDOWN_MS + 20);
      await dispatchOutbox(sql, options);
      assert.equal(fake.calls.length, 6, "after the cooldown exactly one probe went out");
      assert.equal(breaker.state, "open", "the failed probe reopened the breaker");

      fake.setMode({ kind: "accept" });
      await sleep(COOLDOWN_MS + 20);
      for (let pass = 0; pass < 20; pass++) {
        await dispatchOutbox(sql, options);
        const [{ left }] = await sql`
        select count(*)::int as left from public.email_outbox where status <> 'sent'`;
        if (left === 0) break;
        await sleep(100);
      }
      assert.equal(breaker.state, "closed");
      const accepted = fake.accepted().map((m) => m.to);
      assert.deepEqual(
        [...accepted].sort(),
        [...queued].sort(),
        "every email arrived exactly once",
      );
      const rows = await sql<{ status: string; attempts: number; last_error: string | null }[]>`
      select status, attempts, last_error from public.email_outbox`;
      assert.ok(rows.every((r) => r.status === "sent"), "none lost");
      const attempts = rows.reduce((n, r) => n + r.attempts, 0);
      assert.equal(attempts, fake.calls.length, "every call SendGrid saw is a recorded attempt");
      const retried = rows.filter((r) => r.attempts === 2);
      assert.equal(retried.length, 6);
      assert.ok(retried.every((r) => /sendgrid 500/.test(r.last_error ?? "")));
    });
  },
);

dbTest("429 pauses the pass until X-RateLimit-Reset without charging an attempt", async () => {
  const { sql } = await setupHarness();
  await resetOutbox(sql);
  await queueTestEmails(sql, 3, `ratelimit-${crypto.randomUUID()}`);
  const breaker = new CircuitBreaker({ name: "test", failureThreshold: 1, cooldownMs: 60_000 });
  await withFakeSendgrid(async (fake) => {
    fake.setMode({ kind: "rate_limit", resetInSeconds: 5 });
    const report = await dispatchOutbox(sql, { breaker, concurrency: 1 });
    assert.equal(fake.calls.length, 1, "one 429 stops the pass");
    assert.equal(report.stopped_by, "rate_limited");
    assert.equal(breaker.state, "closed", "a rate limit is not an outage");
    const rows = await sql<{ status: string; attempts: number; wait: number }[]>`
      select status, attempts, extract(epoch from next_attempt_at - now())::float as wait
        from public.email_outbox order by wait desc`;
    assert.ok(rows.every((r) => r.status === "queued" && r.attempts === 0));
    assert.ok(rows[0].wait > 3 && rows[0].wait <= 6, `waits for the reset: ${rows[0].wait}`);
  });
});

dbTest(
  "a hung SendGrid times out into a retry; a 400 fails at once; the bound ends in failed",
  async () => {
    const { sql } = await setupHarness();
    await resetOutbox(sql);
    await queueTestEmails(sql, 1, `hang-${crypto.randomUUID()}`);
    const breaker = () => new CircuitBreaker({ name: "t", failureThreshold: 5, cooldownMs: 1000 });
    await withFakeSendgrid(async (fake) => {
      fake.setMode({ kind: "hang" });
      const transport = createSendgridTransport({
        apiKey: fake.apiKey,
        from: "Crodify <t@crodify.test>",
        baseUrl: fake.url,
        timeoutMs: 200,
      });
      const hung = await dispatchOutbox(sql, { breaker: breaker(), transport });
      assert.equal(hung.retried, 1);
      const [row] = await sql`select status, attempts, last_error from public.email_outbox`;
      assert.deepEqual([row.status, row.attempts], ["queued", 1]);
      assert.match(row.last_error, /timed out/);

      await sql`update public.email_outbox set max_attempts = 2, next_attempt_at = now()`;
      fake.setMode({ kind: "fail", status: 503 });
      const exhausted = await dispatchOutbox(sql, { breaker: breaker() });
      assert.equal(exhausted.failed, 1, "the second failure of two allowed ends in failed");
      const [audit] = await sql`
      select count(*)::int as n from public.audit_log where action = 'email.failed'`;
      assert.ok(audit.n >= 1);

      await resetOutbox(sql);
      await queueTestEmails(sql, 1, `bad-${crypto.randomUUID()}`);
      fake.setMode({ kind: "fail", status: 400 });
      const refused = await dispatchOutbox(sql, { breaker: breaker() });
      assert.equal(refused.failed, 1);
      const [bad] = await sql`select status, attempts from public.email_outbox`;
      assert.deepEqual({ ...bad }, { status: "failed", attempts: 1 });
    });
  },
);
