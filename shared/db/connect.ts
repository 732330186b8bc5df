/**
 * Opening a postgres.js pool. Kept apart from shared/db.ts so the driver is
 * loaded when a function first touches the database, not at boot (it is a
 * measurable share of a cold start, and preflights and health checks need none).
 */
import postgres from "postgres";
import { config } from "../config.ts";

/** Supabase's transaction pooler (Supavisor) does not support prepared statements. */
export function isTransactionPooler(url: string): boolean {
  return new URL(url).port === "6543";
}

export function createSql(url: string, options: { max?: number } = {}): postgres.Sql {
  return postgres(url, {
    max: options.max ?? config().DB_POOL_MAX,
    prepare: !isTransactionPooler(url),
    idle_timeout: 20,
    connect_timeout: 5,
    onnotice: () => {},
    connection: { application_name: "crodify" },
  });
}
