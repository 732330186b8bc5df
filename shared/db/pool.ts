/**
 * The process pool: postgres.js against DATABASE_URL / SUPABASE_DB_URL.
 * Without either, the dev gateway and `deno task migrate` plug in an embedded
 * PGlite (embedded.ts, useEmbeddedDatabase); nothing here imports it, so
 * PGlite (~26 MB) stays out of every deployed function's module graph.
 */
import type postgres from "postgres";
import { config, ConfigError } from "../config.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;
/** A piece of SQL built with `sql\`…\`` to embed in another statement. */
export type Fragment = postgres.Fragment;
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
  const { createSql } = await import("./connect.ts");
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
