/**
 * supabase/migrations/*_schedules.sql: after the migrations, pg_cron holds one
 * job per periodic endpoint, calling it through pg_net with the URL and the
 * scheduler secret read from Vault; where pg_cron is missing the migration
 * changes nothing and says so with a WARNING.
 *
 * pg_net has no Debian package and Vault is a Supabase extension, so in the
 * pg_cron test only, `net.http_post` is a recording function and `vault` a
 * minimal stand-in (a table and the `decrypted_secrets` view Supabase has,
 * plus `vault.create_secret`). pg_cron itself is real (postgresql-15-cron) in
 * a throwaway cluster started with shared_preload_libraries=pg_cron: the
 * shared server is never reconfigured.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { dbTest, setupHarness } from "../support/harness.ts";
import { applyMigrations, ensureLocalSupabase, MIGRATIONS_DIR } from "../../shared/db/migrate.ts";
import { startPgCluster } from "../support/pg_cluster.ts";
import { resetConfigForTests } from "../../shared/config.ts";
import { isSchedulerRequest } from "../../shared/scheduler_auth.ts";

const HTTP_JOBS = [
  { name: "crodify-email-dispatch", path: "/functions/v1/notifications/dispatch" },
  { name: "crodify-purchases-sweep", path: "/functions/v1/purchases/sweep" },
  // Its own migration (*_queue_admit_schedule.sql), on the same caller.
  { name: "crodify-queue-admit", path: "/functions/v1/queue/tick" },
];
const SQL_JOB = "crodify-sweep-expired-orders";

async function schedulesMigration(): Promise<string> {
  for await (const entry of Deno.readDir(MIGRATIONS_DIR)) {
    if (entry.name.endsWith("_schedules.sql")) {
      return await Deno.readTextFile(new URL(entry.name, MIGRATIONS_DIR));
    }
  }
  throw new Error("no *_schedules.sql migration");
}

interface Notice {
  severity: string;
  message: string;
}
const record = (into: Notice[]) => (notice: postgres.Notice) =>
  void into.push({ severity: String(notice.severity), message: String(notice.message) });

dbTest("schedules: without pg_cron the migration creates nothing and warns", async () => {
  const { databaseUrl } = await setupHarness();
  const notices: Notice[] = [];
  const sql = postgres(databaseUrl, { max: 1, onnotice: record(notices) });
  try {
    // The harness already applied it; running it again shows what it says.
    await sql.unsafe(await schedulesMigration());
    const warning = notices.find((n) => /schedules NOT created/.test(n.message));
    assert.ok(warning, `a warning, got ${JSON.stringify(notices)}`);
    assert.equal(warning.severity, "WARNING");
    assert.match(warning.message, /pg_cron/);
    const [state] = await sql`
      select to_regnamespace('cron') is null as no_cron,
             to_regprocedure('private.call_scheduled_job(text)') is null as no_caller,
             to_regprocedure('public.schedule_email_dispatch(text)') is null as old_one_gone`;
    assert.deepEqual({ ...state }, { no_cron: true, no_caller: true, old_one_gone: true });
  } finally {
    await sql.end();
  }
});

// Stands in for pg_net and Vault (see the header); created before the migrations, as on Supabase.
const STAND_INS = `
  create schema net;
  create table net.recorded_calls (
    id bigint generated always as identity, url text, body jsonb, headers jsonb, timeout int);
  create function net.http_post(url text, body jsonb default '{}'::jsonb,
      params jsonb default '{}'::jsonb,
      headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
      timeout_milliseconds int default 5000) returns bigint
  language sql as $$
    insert into net.recorded_calls (url, body, headers, timeout)
    values (url, body, headers, timeout_milliseconds) returning id
  $$;
  create schema vault;
  create table vault.secrets (id uuid primary key default gen_random_uuid(),
    name text unique, secret text not null);
  create view vault.decrypted_secrets as select id, name, secret as decrypted_secret from vault.secrets;
  create function vault.create_secret(new_secret text, new_name text default null,
      new_description text default '') returns uuid
  language sql as $$ insert into vault.secrets (name, secret) values (new_name, new_secret) returning id $$;`;

const CRON_DB = "crodify_cron";

/** True when this machine can start a cluster with pg_cron (Debian's postgresql-15-cron). */
function pgCronInstalled(): boolean {
  try {
    Deno.statSync("/usr/lib/postgresql/15/bin/initdb");
    Deno.statSync("/usr/share/postgresql/15/extension/pg_cron.control");
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "schedules: with pg_cron every job calls its endpoint with the Vault URL and secret",
  // A machine with only Deno has no PostgreSQL binaries; CI installs postgresql-15-cron
  // and sets CRODIFY_REQUIRE_PG_CRON=1 so this can never be skipped there.
  ignore: !pgCronInstalled() && Deno.env.get("CRODIFY_REQUIRE_PG_CRON") !== "1",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await startPgCluster({
      shared_preload_libraries: "'pg_cron'",
      "cron.database_name": `'${CRON_DB}'`,
    });
    const urlOf = (database: string) => cluster.url.replace(/\/postgres$/, `/${database}`);
    const notices: Notice[] = [];
    const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
    const sql = postgres(urlOf(CRON_DB), {
      max: 1,
      onnotice: record(notices),
    });
    try {
      await admin.unsafe(`create database ${CRON_DB}`);
      await sql.unsafe(STAND_INS);
      await ensureLocalSupabase(sql);
      await applyMigrations(sql);
      assert.ok(
        notices.some((n) => /crodify schedules created/.test(n.message)),
        JSON.stringify(notices),
      );

      const jobs = await sql<{ jobname: string; schedule: string; command: string }[]>`
        select jobname, schedule, command from cron.job order by jobname`;
      assert.deepEqual(jobs.map((j) => j.jobname), [...HTTP_JOBS.map((j) => j.name), SQL_JOB]);
      const sqlJob = jobs.pop()!;
      assert.equal(sqlJob.command, "select public.sweep_expired_orders()");
      await sql.unsafe(sqlJob.command);
      const [{ extversion }] =
        await sql`select extversion from pg_extension where extname = 'pg_cron'`;
      for (const job of jobs) {
        // pg_cron 1.5+ (Supabase) runs them every few seconds; Debian's 1.4 every minute.
        if (extversion >= "1.5") assert.match(job.schedule, /^\d+ seconds$/);
        else assert.equal(job.schedule, "* * * * *");
      }

      // Before the secrets are stored every run fails, naming them.
      await assert.rejects(sql.unsafe(jobs[0].command), /project_url and scheduler_secret/);

      // The README's one-line call.
      const base = "https://project-ref.supabase.co";
      const secret = "scheduler-secret-from-vault-0123456789";
      await sql.unsafe(`select vault.create_secret('${base}', 'project_url'),
        vault.create_secret('${secret}', 'scheduler_secret')`);
      for (const job of jobs) await sql.unsafe(job.command);

      const calls = await sql<{ url: string; headers: Record<string, string> }[]>`
        select url, headers from net.recorded_calls order by id`;
      assert.deepEqual(
        calls.map((c) => c.url).sort(),
        HTTP_JOBS.map((j) => base + j.path).sort(),
      );
      // What the endpoints' requireScheduler accepts with that SCHEDULER_SECRET.
      resetConfigForTests({ APP_ENV: "test", SCHEDULER_SECRET: secret });
      for (const call of calls) {
        assert.equal(call.headers["x-scheduler-secret"], secret);
        assert.equal(await isSchedulerRequest(new Headers(call.headers)), true);
      }
      resetConfigForTests({ APP_ENV: "test", SCHEDULER_SECRET: "another-secret-0123456789" });
      assert.equal(await isSchedulerRequest(new Headers(calls[0].headers)), false);

      // Re-applying replaces the jobs instead of duplicating them.
      await sql.unsafe(await schedulesMigration());
      const [{ n }] = await sql`select count(*)::int as n from cron.job`;
      assert.equal(n, HTTP_JOBS.length + 1);
    } finally {
      await sql.end();
      await admin.end();
      await cluster.destroy();
    }
  },
});
