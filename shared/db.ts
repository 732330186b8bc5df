/**
 * The database handle. postgres.js against DATABASE_URL / SUPABASE_DB_URL, or
 * against an embedded PGlite when neither is set (local dev with no setup).
 */
import type postgres from "postgres";
import { config } from "./config.ts";
import { log } from "./log.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;
/** A handle that can run queries: the pool or an open transaction. */
export type Db = Sql | Tx;

let pool: Promise<Sql> | undefined;

/** The process-wide pool, created on first use (starting the embedded database if needed). */
export function db(): Promise<Sql> {
  pool ??= openPool().catch((error) => {
    pool = undefined;
    throw error;
  });
  return pool;
}

async function openPool(): Promise<Sql> {
  const { createSql } = await import("./db/connect.ts");
  const url = config().databaseUrl;
  if (url) return createSql(url);
  const { startEmbeddedDatabase } = await import("./db/embedded.ts");
  const embedded = await startEmbeddedDatabase(config().EMBEDDED_DB_DIR);
  log.info("embedded database", { data_dir: config().EMBEDDED_DB_DIR, port: embedded.port });
  // PGlite is single-connection: postgres.js pools larger than 1 interleave protocol messages.
  return createSql(embedded.url, { max: 1 });
}

/** Replaces the process pool (tests, the gateway). */
export function setDbForTests(sql: Sql): void {
  pool = Promise.resolve(sql);
}

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
