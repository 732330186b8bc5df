/**
 * Work cut off by the request deadline does not run on in the database: a
 * transaction a request started is bounded by the time the request had left
 * (its statement is cancelled by statement_timeout), and once the deadline
 * has passed it starts no new statement and rolls back.
 * Needs a PostgreSQL server: skipped on the embedded PGlite (dbTest serverOnly).
 */
import assert from "node:assert/strict";
import { resetConfigForTests } from "../../shared/config.ts";
import { withTx } from "../../shared/db/mod.ts";
import { createApp } from "../../shared/http.ts";
import { dbTest, setupHarness } from "../support/harness.ts";

const DEADLINE_MS = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

dbTest("a transaction cut off by the request deadline stops and rolls back", async () => {
  const { sql, env } = await setupHarness();
  await sql`create table if not exists deadline_probe (step text not null)`;
  await sql`truncate deadline_probe`;
  resetConfigForTests({ ...env, REQUEST_DEADLINE_MS: String(DEADLINE_MS) });
  const finished: string[] = [];
  const app = createApp("cut");
  // A statement still running at the deadline (a slow plan, a lock, a sick server).
  app.post("/slow-statement", async (c) => {
    await withTx(sql, async (tx) => {
      await tx`insert into deadline_probe values ('slow: before')`;
      await tx`select pg_sleep(3) as deadline_probe_sleep`;
      await tx`insert into deadline_probe values ('slow: after')`;
    }).finally(() => finished.push("slow"));
    return c.json({ done: true });
  });
  // Time spent outside the database (a slow provider call) inside the transaction.
  app.post("/slow-caller", async (c) => {
    await withTx(sql, async (tx) => {
      await tx`insert into deadline_probe values ('caller: before')`;
      await sleep(DEADLINE_MS + 200);
      await tx`insert into deadline_probe values ('caller: after')`;
    }).finally(() => finished.push("caller"));
    return c.json({ done: true });
  });
  try {
    for (const path of ["/cut/slow-statement", "/cut/slow-caller"]) {
      const started = performance.now();
      const response = await app.request(path, { method: "POST" });
      const ms = performance.now() - started;
      assert.equal(response.status, 503, path);
      assert.equal((await response.json()).error.code, "unavailable");
      assert.ok(ms < 2_000, `${path} answered after ${ms} ms`);
    }
    // Well before pg_sleep(3) would end: the abandoned work has already stopped.
    await sleep(DEADLINE_MS + 600);
    const [{ running }] = await sql`
      select count(*)::int as running from pg_stat_activity
       where datname = current_database() and state = 'active'
         and query like '%deadline_probe_sleep%' and pid <> pg_backend_pid()`;
    assert.equal(running, 0, "the slow statement is still running after the deadline");
    assert.deepEqual(finished.sort(), ["caller", "slow"]);
    assert.deepEqual((await sql`select step from deadline_probe`).map((r) => r.step), []);
  } finally {
    resetConfigForTests(env);
    await sql`drop table deadline_probe`;
  }
}, { serverOnly: true });
