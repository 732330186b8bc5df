/** Transactions with bounded lock and statement waits. */
import type { Sql, Tx } from "./pool.ts";

export interface TxOptions {
  /** How long to wait for a row lock before failing with 55P03 (mapped to 503 busy). */
  lockTimeoutMs?: number;
  /** Upper bound for any statement in the transaction. */
  statementTimeoutMs?: number;
}

/**
 * Runs `fn` in a transaction with bounded lock and statement timeouts, so a
 * contended row makes one request fail fast instead of piling up connections.
 */
export async function withTx<T>(
  sql: Sql,
  fn: (tx: Tx) => Promise<T>,
  { lockTimeoutMs = 3000, statementTimeoutMs = 10_000 }: TxOptions = {},
): Promise<T> {
  return await sql.begin(async (tx) => {
    await tx`select set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true),
                    set_config('statement_timeout', ${`${statementTimeoutMs}ms`}, true)`;
    return await fn(tx);
  }) as T;
}
