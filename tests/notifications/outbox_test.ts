import assert from "node:assert/strict";
import { CircuitBreaker } from "../../shared/circuit_breaker.ts";
import { dispatchOutbox } from "../../shared/mail/dispatcher.ts";
import { kickDispatch, setKickEnabledForTests } from "../../shared/mail/kick.ts";
import { clearSentMail, sentMail } from "../../shared/mail/logging_transport.ts";
import { enqueueEmail } from "../../shared/mail/outbox.ts";
import { sleep } from "../../shared/retry.ts";
import { PERIODIC_JOBS, startPeriodicJobs } from "../../functions/periodic_jobs.ts";
import { createGateway } from "../../functions/gateway.ts";
import { FUNCTIONS } from "../../functions/registry.ts";
import { config } from "../../shared/config.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { makeUser } from "../support/builders.ts";
import { asPostgrestRole, pgErrorCode } from "../support/rls.ts";
import { queueTestEmails, resetOutbox } from "../support/notification_builders.ts";

dbTest("RLS: only admins read the outbox through PostgREST, and nobody writes it", async () => {
  const { sql } = await setupHarness();
  await resetOutbox(sql);
  await queueTestEmails(sql, 1, `rls-${crypto.randomUUID()}`);
  const user = await makeUser(sql);
  const count = (claims: Record<string, unknown>, role: "anon" | "authenticated") =>
    asPostgrestRole(
      sql,
      role,
      claims,
      (tx) => tx`select count(*)::int as n from public.email_outbox`,
    )
      .catch((e) => e.code);
  assert.equal(await count({}, "anon"), "42501");
  assert.equal((await count({ sub: user.id, user_roles: ["user"] }, "authenticated"))[0].n, 0);
  assert.equal(
    (await count({ sub: user.id, user_roles: ["user", "admin"] }, "authenticated"))[0].n,
    1,
  );
  const write = await asPostgrestRole(
    sql,
    "authenticated",
    { sub: user.id, user_roles: ["admin"] },
    (tx) =>
      pgErrorCode(() =>
        tx`insert into public.email_outbox (recipient, template, dedupe_key) values ('a@b.c', 'x', 'x')`
      ),
  );
  assert.equal(write, "42501");
});

dbTest("the database refuses inconsistent outbox rows (hand edits in Studio)", async () => {
  const { sql } = await setupHarness();
  await resetOutbox(sql);
  await queueTestEmails(sql, 1, `guard-${crypto.randomUUID()}`);
  const code = (run: () => Promise<unknown>) => run().then(() => undefined, (e) => e.code);
  assert.equal(await code(() => sql`update public.email_outbox set status = 'sent'`), "23514");
  assert.equal(await code(() => sql`update public.email_outbox set status = 'sending'`), "23514");
  assert.equal(await code(() => sql`update public.email_outbox set recipient = 'nope'`), "23514");
  assert.equal(await code(() => sql`update public.email_outbox set locale = 'fr'`), "23514");
});

dbTest("without a SendGrid key the logging transport records the mail", async () => {
  const { sql } = await setupHarness();
  await resetOutbox(sql);
  clearSentMail();
  const to = `log-${crypto.randomUUID()}@outbox.test`;
  await enqueueEmail(sql, {
    to,
    template: "test_email",
    data: { requested_at: "2026-01-01T00:00:00Z" },
    dedupeKey: `log:${to}`,
  });
  const breaker = new CircuitBreaker({ name: "t", failureThreshold: 5, cooldownMs: 1000 });
  const report = await dispatchOutbox(sql, { breaker });
  assert.equal(report.sent, 1);
  assert.deepEqual(sentMail(to).map((m) => m.subject), ["Correo de prueba de Crodify"]);
  const [row] = await sql`select provider_message_id from public.email_outbox`;
  assert.match(row.provider_message_id, /^log-/);
});

dbTest("kickDispatch hands the work to EdgeRuntime.waitUntil and never throws", async () => {
  const held: Promise<unknown>[] = [];
  const global = globalThis as { EdgeRuntime?: unknown };
  global.EdgeRuntime = { waitUntil: (p: Promise<unknown>) => held.push(p) };
  setKickEnabledForTests(true);
  try {
    let ran = 0;
    kickDispatch(() => Promise.resolve(ran++));
    kickDispatch(() => Promise.reject(new Error("database down")));
    assert.equal(held.length, 2, "both runs were handed to the runtime");
    await Promise.all(held);
    assert.equal(ran, 1);
    setKickEnabledForTests(false);
    assert.equal(kickDispatch(() => Promise.resolve(ran++)), undefined);
    assert.equal(ran, 1, "disabled (tests dispatch directly)");
  } finally {
    delete global.EdgeRuntime;
    setKickEnabledForTests(undefined);
  }
});

dbTest("the periodic mail job (dev gateway, deno task worker) dispatches queued mail", async () => {
  const { sql } = await setupHarness();
  await resetOutbox(sql);
  clearSentMail();
  const [to] = await queueTestEmails(sql, 1, `loop-${crypto.randomUUID()}`);
  const mailJob = PERIODIC_JOBS.filter((job) => job.name === "mail-dispatch")
    .map((job) => ({ ...job, everyMs: 20 }));
  const gateway = createGateway(FUNCTIONS);
  const secret = config().SCHEDULER_SECRET;
  const stop = startPeriodicJobs(gateway.fetch, "http://gateway/functions/v1", secret, mailJob);
  try {
    for (let i = 0; i < 100 && sentMail(to).length === 0; i++) await sleep(20);
  } finally {
    stop();
  }
  assert.equal(sentMail(to).length, 1);
  const [row] = await sql`select status from public.email_outbox`;
  assert.equal(row.status, "sent");
});
