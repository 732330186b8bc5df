/**
 * Runs queries the way PostgREST does: inside a transaction, as the `anon`
 * or `authenticated` role, with the JWT claims in `request.jwt.claims`.
 * The transaction is rolled back so probes leave nothing behind.
 */
import type { Sql, Tx } from "../../shared/db/mod.ts";

const ROLLBACK = Symbol("rollback");

export async function asPostgrestRole<T>(
  sql: Sql,
  role: "anon" | "authenticated",
  claims: Record<string, unknown>,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  try {
    await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${
        JSON.stringify({ role, ...claims })
      }, true)`;
      await tx.unsafe(`set local role ${role}`);
      result = await fn(tx);
      throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
  return result as T;
}

/** The error a statement raises under RLS/grants, or undefined when it succeeded. */
export async function pgErrorCode(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}
