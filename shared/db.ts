/**
 * The database handle: postgres.js against DATABASE_URL / SUPABASE_DB_URL.
 * Without either, the dev gateway and `deno task migrate` plug in an embedded
 * PGlite (shared/db/embedded.ts, useEmbeddedDatabase); nothing here imports
 * it, so PGlite (~26 MB) stays out of every deployed function's module graph.
 */
import type postgres from "postgres";
import { config, ConfigError } from "./config.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;
/** A handle that can run queries: the pool or an open transaction. */
export type Db = Sql | Tx;

let pool: Promise<Sql> | undefined;

/** Starts a local database and returns its URL and pool size (PGlite takes one connection). */
export type LocalDatabaseStarter = () => Promise<{ url: string; max: number }>;
let localDatabase: LocalDatabaseStarter | undefined;

/** What the pool opens when no database URL is configured (the dev gateway's embedded one). */
export function setLocalDatabase(start: LocalDatabaseStarter): void {
  localDatabase = start;
}

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
  if (!localDatabase) throw new ConfigError("No database configured: set DATABASE_URL");
  const local = await localDatabase();
  return createSql(local.url, { max: local.max });
}

/** Closes the process pool if one was opened (a server shutting down). */
export async function closeDb(timeoutSeconds = 5): Promise<void> {
  const open = pool;
  pool = undefined;
  if (open) await (await open.catch(() => undefined))?.end({ timeout: timeoutSeconds });
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
