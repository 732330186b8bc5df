/**
 * The real services this run was given. `deno task ok` with neither
 * DATABASE_URL nor REDIS_URL (a newcomer's machine with only Deno) runs on the
 * embedded PGlite and the in-process cache; the tests that exercise a real
 * Redis, or PostgreSQL clusters of their own (initdb, pg_ctl), are skipped
 * there, as the README says, and run wherever the URLs are set (CI runs both).
 */
export const REDIS_URL = Deno.env.get("REDIS_URL");
export const DATABASE_URL = Deno.env.get("DATABASE_URL");

/** Both URLs set: the mode CI runs first, with the fault-injection suites. */
export const REAL_SERVICES = Boolean(REDIS_URL && DATABASE_URL);

/** Deno.test of a real Redis (through the Upstash proxy): skipped without REDIS_URL. */
export function redisTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  Deno.test({ name, ignore: !REDIS_URL, fn });
}
