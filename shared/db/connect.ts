/**
 * Opening a postgres.js pool. Kept apart from pool.ts so the driver is
 * loaded when a function first touches the database, not at boot (it is a
 * measurable share of a cold start, and preflights and health checks need none).
 */
import postgres from "postgres";
import { config } from "../config.ts";

/**
 * A transaction pooler (Supabase's Supavisor, PgBouncer in transaction mode) does not support
 * prepared statements. DB_TRANSACTION_POOLER says so explicitly; unset, port 6543 is Supavisor's.
 */
export function isTransactionPooler(url: string, setting?: "true" | "false"): boolean {
  return setting ? setting === "true" : new URL(url).port === "6543";
}

const DB_CONNECT_TIMEOUT_S = 5;

/** Seconds before the next connect after `retries` failures in a row: 50 ms doubling, at most 1 s. */
export function reconnectDelaySeconds(retries: number): number {
  return Math.min(1, 0.05 * 2 ** Math.max(0, retries - 1)) * (0.5 + Math.random() / 2);
}

export interface PoolOptions {
  max?: number;
  /** Overrides DB_POOL_WAIT_MS (tests exhausting a small pool). */
  waitMs?: number;
}

export function createSql(url: string, options: PoolOptions = {}): postgres.Sql {
  const pooled = isTransactionPooler(url, config().DB_TRANSACTION_POOLER);
  return postgres(url, {
    max: options.max ?? config().DB_POOL_MAX,
    // With every connection busy in a transaction, a request queues for one. Past
    // this wait it is answered 503 at once (with Retry-After) instead of holding
    // its caller until the request deadline while the queue only grows (patched driver).
    queue_timeout: (options.waitMs ?? config().DB_POOL_WAIT_MS) / 1000,
    prepare: !pooled,
    idle_timeout: 20,
    // A dead server costs a request one bounded wait, then an honest 503.
    connect_timeout: DB_CONNECT_TIMEOUT_S,
    // postgres.js's default backoff grows with every failed connect of the pool
    // (3^n / 100 s, up to 20 s) and only resets on success: after a restart the
    // pool sat idle for up to 20 s while the server was back. Cap it at 1 s.
    backoff: reconnectDelaySeconds,
    onnotice: () => {},
    connection: {
      application_name: "crodify",
      // A statement stuck behind a dying server or a runaway plan ends server-side
      // before the request deadline. Supavisor refuses startup parameters it does not
      // know, so through the pooler the per-transaction timeouts of withTx remain.
      ...(pooled ? {} : { statement_timeout: config().DB_STATEMENT_TIMEOUT_MS }),
    },
  });
}
