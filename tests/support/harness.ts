/**
 * The test environment, set up once per test file (Deno runs each file in its
 * own isolate, so module state is per file):
 * - with DATABASE_URL: a fresh database on that server (bootstrap + migrations),
 *   named after its creation time and this process so runs never see each
 *   other's rows; abandoned databases of old runs are dropped on the next start;
 * - without it: an in-memory PGlite;
 * - with REDIS_URL: the Upstash REST proxy over that real Redis, with a
 *   per-run key prefix; without it: the in-process cache.
 */
import { resetConfigForTests } from "../../shared/config.ts";
import type { Sql } from "../../shared/db/mod.ts";
import { setDbForTests } from "../../shared/db/pool.ts";
import { createSql } from "../../shared/db/connect.ts";
import { prepareDatabase } from "../../shared/db/migrate.ts";
import { resetAuthForTests } from "../../shared/auth.ts";
import { resetCacheForTests } from "../../shared/cache/instance.ts";
import { TEST_JWKS } from "./tokens.ts";
import { startUpstashProxy } from "./upstash_proxy.ts";
import { createScratchDatabase } from "./scratch_db.ts";

export interface Harness {
  sql: Sql;
  databaseUrl: string;
  /** Env a subprocess (gateway, bench) needs to share this run's database and Redis. */
  env: Record<string, string>;
}

const RUN_ID = `${Date.now().toString(36)}_${Deno.pid}`;
export const TEST_DB_PREFIX = "crodify_test_";

let harness: Promise<Harness> | undefined;

export function setupHarness(): Promise<Harness> {
  harness ??= createHarness();
  return harness;
}

async function createHarness(): Promise<Harness> {
  const serverUrl = Deno.env.get("DATABASE_URL");
  const databaseUrl = serverUrl
    ? (await createScratchDatabase(serverUrl, TEST_DB_PREFIX)).url
    : await startPglite();
  const env: Record<string, string> = {
    APP_ENV: "test",
    LOG_LEVEL: Deno.env.get("LOG_LEVEL") ?? "error",
    DATABASE_URL: databaseUrl,
    SUPABASE_JWKS: TEST_JWKS,
    // Tests that fire hundreds of requests at once on a loaded machine assert outcomes,
    // not latency; the deadline has tests of its own (tests/foundation, tests/faults).
    REQUEST_DEADLINE_MS: "120000",
    // Likewise the wait for a pool connection (its bound is tested in tests/foundation).
    DB_POOL_WAIT_MS: "60000",
  };
  const redisUrl = Deno.env.get("REDIS_URL");
  if (redisUrl) {
    const proxy = await startUpstashProxy({ redisUrl, token: "test-upstash-token" });
    env.UPSTASH_REDIS_REST_URL = proxy.url;
    env.UPSTASH_REDIS_REST_TOKEN = proxy.token;
  }
  resetConfigForTests(env);
  resetAuthForTests();
  resetCacheForTests({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    prefix: `crodify_test:${RUN_ID}:`,
  });
  // Concurrency tests fire many requests at once; give them real connections.
  const sql = createSql(databaseUrl, { max: serverUrl ? 20 : 1 });
  await prepareDatabase(sql);
  setDbForTests(sql);
  return { sql, databaseUrl, env };
}

async function startPglite(): Promise<string> {
  const { startEmbeddedDatabase } = await import("../../shared/db/embedded.ts");
  return (await startEmbeddedDatabase(undefined)).url;
}

/**
 * Deno.test with the sanitizers off (the shared pool and proxy outlive single
 * tests). After every test the books are checked: each ticket type's `held`
 * counter equals its counted holds (public.ticket_type_hold_drift()).
 * `serverOnly`: the test needs a PostgreSQL server (DATABASE_URL) and is
 * skipped on the embedded PGlite, which runs inside this process on one
 * connection: a statement there blocks the event loop, cannot be cancelled
 * by statement_timeout, and a second pool cannot connect.
 */
export function dbTest(
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
  { serverOnly = false }: { serverOnly?: boolean } = {},
): void {
  Deno.test({
    name,
    ignore: serverOnly && !Deno.env.get("DATABASE_URL"),
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async (t) => {
      const { sql } = await setupHarness();
      await fn(t);
      await assertHoldsBalance(sql);
    },
  });
}

/** Fails when any ticket type's held counter differs from its holds. */
export async function assertHoldsBalance(sql: Sql): Promise<void> {
  const drift = await sql`select * from public.ticket_type_hold_drift()`;
  if (drift.length > 0) {
    throw new Error(`held counter drifted from the holds: ${JSON.stringify(drift)}`);
  }
}
