/** Transactions with bounded lock and statement waits. */
import { assertBeforeDeadline, remainingMs } from "../deadline.ts";
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
 * Inside a request (shared/deadline.ts) both are also capped at the time left
 * before its deadline, and once it has passed no new statement starts: the
 * transaction rolls back instead of running on after the caller got its 503.
 */
export async function withTx<T>(
  sql: Sql,
  fn: (tx: Tx) => Promise<T>,
  { lockTimeoutMs = 3000, statementTimeoutMs = 10_000 }: TxOptions = {},
): Promise<T> {
  assertBeforeDeadline();
  return await sql.begin(async (tx) => {
    await tx`select set_config('lock_timeout', ${`${deadlineCap(lockTimeoutMs)}ms`}, true),
                    set_config('statement_timeout', ${`${
      deadlineCap(statementTimeoutMs)
    }ms`}, true)`;
    return await fn(remainingMs() === undefined ? tx : stopsAtDeadline(tx));
  }) as T;
}

/** `ms`, or less when the current request's deadline is nearer (at least 1: 0 means no timeout). */
export function deadlineCap(ms: number): number {
  const left = remainingMs();
  return left === undefined ? ms : Math.max(1, Math.min(ms, Math.ceil(left)));
}

/** `tx`, refusing to start a statement once the request's deadline has passed. */
function stopsAtDeadline(tx: Tx): Tx {
  return new Proxy(tx, {
    apply(target, self, args) {
      assertBeforeDeadline();
      return Reflect.apply(target, self, args);
    },
  });
}
