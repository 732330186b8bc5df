/**
 * Small helpers of concurrency tests: counting the outcomes of a burst, and
 * running steps in a transaction that is rolled back afterwards.
 */
import type { Sql } from "../../shared/db/mod.ts";

/** How many times each outcome occurs, e.g. { created: 50, "409 sold_out": 450 }. */
export const tally = (outcomes: string[]) =>
  outcomes.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o]: (acc[o] ?? 0) + 1 }), {});

/** Runs fn in a transaction, then rolls it back (fn's own errors still fail the caller). */
export async function rolledBack(sql: Sql, fn: (tx: Sql) => Promise<void>): Promise<void> {
  const rollback = new Error("rollback");
  await sql.begin(async (tx) => {
    await fn(tx as unknown as Sql);
    throw rollback;
  }).catch((error) => {
    if (error !== rollback) throw error;
  });
}
