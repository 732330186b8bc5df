/**
 * One retry queue for every durable job table — refunds, payment
 * notifications, the mail outbox, reconciliation and event cancellation. A
 * row carries `attempts`, `next_attempt_at` and `last_error`; due rows are
 * taken in `next_attempt_at` order; a failed attempt schedules the next one
 * with one backoff formula. Each table keeps its own "ready" states.
 */
import type postgres from "postgres";
import { eachConcurrently } from "./concurrency.ts";
import type { Db } from "./db/mod.ts";

type Fragment = postgres.PendingQuery<postgres.Row[]>;

export interface RetryPolicy {
  /** Delay after the first failed attempt (before jitter). */
  baseMs: number;
  /** No delay ever exceeds this. */
  maxMs: number;
  /** Tries after which a row is given up (left for a person); Infinity never gives up. */
  maxAttempts: number;
}

// Calls to a paid provider: 30 s, 1, 2, 4 … min, capped at an hour — steady, never hammering,
// and Mercado Pago keeps retrying its webhooks for days besides.
export const PROVIDER_RETRY: RetryPolicy = {
  baseMs: 30_000,
  maxMs: 60 * 60_000,
  maxAttempts: 12,
};

/**
 * The wait after `attempts` failed tries: the ceiling doubles per try
 * (capped at maxMs) and the wait is uniform in its upper half ("equal
 * jitter"), so rows that failed together spread out yet none is retried at once.
 */
export function retryDelayMs(
  attempts: number,
  policy: Pick<RetryPolicy, "baseMs" | "maxMs">,
  random: () => number = Math.random,
): number {
  if (!(policy.baseMs >= 0) || !(policy.maxMs >= 0)) {
    throw new RangeError("baseMs and maxMs must be >= 0");
  }
  // 2^n overflows to Infinity past ~1023; Math.min keeps the ceiling finite.
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Whether a row that has been tried `attempts` times should be given up. */
export function attemptsSpent(attempts: number, policy: RetryPolicy): boolean {
  return attempts >= policy.maxAttempts;
}

export interface RetryQueue {
  /** Schema-qualified table, e.g. "public.refunds". */
  table: string;
  /** The key column (default `id`). */
  key?: string;
  /** Which rows may be tried, besides being due (e.g. status = 'pending'). */
  ready: (sql: Db) => Fragment;
  policy: RetryPolicy;
}

/** Ids of up to `limit` due rows, oldest due first. */
export async function dueIds<Id extends string | number>(
  sql: Db,
  queue: RetryQueue,
  limit: number,
): Promise<Id[]> {
  const [schema, table] = queue.table.split(".");
  const rows = await sql<{ id: Id }[]>`
    select ${sql(queue.key ?? "id")} as id from ${sql(schema)}.${sql(table)}
     where next_attempt_at <= now() and (${queue.ready(sql)})
     order by next_attempt_at limit ${limit}`;
  return rows.map((r) => r.id);
}

/** How many rows are due now (what a bounded pass left for the next one). */
export async function countDue(sql: Db, queue: RetryQueue): Promise<number> {
  const [schema, table] = queue.table.split(".");
  const [{ due }] = await sql<{ due: number }[]>`
    select count(*)::int as due from ${sql(schema)}.${sql(table)}
     where next_attempt_at <= now() and (${queue.ready(sql)})`;
  return due;
}

export interface DrainOptions {
  /** Attempts in flight at once (default 1: one after another). */
  width?: number;
  /** Checked before each attempt: true once the caller's time is spent. */
  stop?: () => boolean;
}

/**
 * Runs `attempt` for each due row, at most `width` at once (each attempt
 * claims or locks its row itself, so concurrent drains never do a row twice),
 * starting none once `stop()` says the caller's time is spent; returns how
 * many attempts reported success.
 */
export async function drainDue<Id extends string | number>(
  sql: Db,
  queue: RetryQueue,
  limit: number,
  attempt: (id: Id) => Promise<boolean>,
  { width = 1, stop }: DrainOptions = {},
): Promise<number> {
  let succeeded = 0;
  await eachConcurrently(await dueIds<Id>(sql, queue, limit), width, async (id) => {
    if (await attempt(id)) succeeded++;
  }, stop);
  return succeeded;
}

/**
 * Records a failed attempt of one row in one statement: attempts + 1 (unless
 * the claim counted it already), last_error, and next_attempt_at after
 * retryDelayMs's backoff (the same formula, in SQL). Returns true when the
 * row's attempts are now spent (the caller decides what giving up means).
 */
export async function scheduleRetry(
  sql: Db,
  queue: RetryQueue,
  id: string | number,
  error: string,
  { counted = false }: { counted?: boolean } = {},
): Promise<boolean> {
  const [schema, table] = queue.table.split(".");
  const step = counted ? 0 : 1;
  const { baseMs, maxMs } = queue.policy;
  const [row] = await sql<{ attempts: number }[]>`
    update ${sql(schema)}.${sql(table)}
       set attempts = attempts + ${step}, last_error = left(${error}, 1000),
           next_attempt_at = now() + make_interval(secs =>
             least(${maxMs}::float8, ${baseMs}::float8 * power(2, greatest(0, attempts + ${step} - 1)))
             * (0.5 + random() / 2) / 1000)
     where ${sql(queue.key ?? "id")} = ${id}
    returning attempts`;
  return row ? attemptsSpent(row.attempts, queue.policy) : false;
}
