/**
 * A request waiting for a connection of an exhausted pool waits DB_POOL_WAIT_MS,
 * not until the request deadline: then it is 503 `unavailable` with
 * Retry-After, and the pool serves again as soon as a connection frees.
 * Needs a PostgreSQL server: skipped on the embedded PGlite (dbTest serverOnly).
 */
import assert from "node:assert/strict";
import { createSql } from "../../shared/db/connect.ts";
import { createApp } from "../../shared/http.ts";
import { dbTest, setupHarness } from "../support/harness.ts";

const WAIT_MS = 300;
const HOLD_S = 1.5;

dbTest("a query that finds the pool exhausted waits DB_POOL_WAIT_MS, then 503", async () => {
  const { databaseUrl } = await setupHarness();
  const sql = createSql(databaseUrl, { max: 2, waitMs: WAIT_MS });
  try {
    await sql`select 1`;
    // Both connections are reserved by transactions for HOLD_S.
    const holders = [1, 2].map(() => sql.begin((tx) => tx`select pg_sleep(${HOLD_S})`));
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = performance.now();
    const waited = await sql`select 1`.then(() => "answered", (e) => e.code);
    const elapsed = performance.now() - started;
    assert.equal(waited, "CONNECTION_QUEUE_TIMEOUT");
    // Bounded by the pool wait, far below the holders' 1.5 s (generous for a loaded machine).
    assert.ok(elapsed >= WAIT_MS - 20 && elapsed < HOLD_S * 1000 - 200, `waited ${elapsed} ms`);

    const app = createApp("pool");
    app.get("/one", async (c) => c.json(await sql`select 1 as one`));
    const response = await app.request("/pool/one");
    const body = await response.json();
    assert.equal(response.status, 503);
    assert.equal(body.error.code, "unavailable");
    assert.equal(response.headers.get("retry-after"), "2");
    assert.doesNotMatch(JSON.stringify(body), /QUEUE|CONNECTION/);

    await Promise.all(holders);
    // Free again: queued queries that get a connection in time are answered (their timers cleared).
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sql`select ${i}::int as i`),
    );
    assert.deepEqual(burst.map(([row]) => row.i), Array.from({ length: 20 }, (_, i) => i));
  } finally {
    await sql.end({ timeout: 1 });
  }
}, { serverOnly: true });
