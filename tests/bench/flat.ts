/**
 * Flatness: does a sale get slower as it sells? One ticket type of `seats`,
 * `buyers` fresh buyers reserving one ticket each through reserve_tickets()
 * under pgbench (the surplus are refused sold_out), and the hold rate of the
 * first `window` holds against the last `window` (from orders.created_at).
 * Runs on a database of its own (the bench gives it a cluster of its own), with the current schema ("after") or the
 * schema before the held counter ("before", reserve_tickets called positionally).
 */
import postgres from "postgres";
import { applyMigrations, ensureLocalSupabase } from "../../shared/db/migrate.ts";
import { HELD_COUNTER_VERSION, migrationsBefore } from "../support/old_schema.ts";
import { createScratchDatabase } from "../support/scratch_db.ts";
import { BENCH_DB_PREFIX } from "./data.ts";
import { type PgbenchResult, runPgbench } from "./pgbench.ts";

export interface FlatRun {
  schema: "before" | "after";
  seats: number;
  buyers: number;
  concurrency: number;
  window: number;
  holds: number;
  refusals: number;
  /** Ticket types whose held counter differs from their holds (after only; expected 0). */
  drift: number;
  pgbench: PgbenchResult;
  first_holds_per_second: number;
  last_holds_per_second: number;
  /** Last window's rate / first window's (target ≥ 0.8). */
  ratio: number;
}

/**
 * postgresql.conf for the flatness runs' own cluster: as Supabase runs PostgreSQL (autovacuum on,
 * durable commits), not as this machine's shared server (autovacuum off). Without autovacuum the
 * sale's one hot row keeps every dead version it ever had, which no production database does:
 * measured on 2026-11-30 with the held counter, 738 holds/s for the first 5,000 of 40,000 and
 * 519 for the last with autovacuum off, 655 and 756 with it on.
 */
export const PRODUCTION_LIKE = {
  autovacuum: "on",
  fsync: "on",
  synchronous_commit: "on",
  full_page_writes: "on",
  shared_buffers: "'128MB'",
  max_connections: "100",
};

// Each call is one buyer; sold_out is an answer, not a failure (pgbench aborts a client on errors).
const tryReserve = (call: string) => `
  create function bench.try_reserve() returns boolean language plpgsql as $$
  declare
    q bench.flat%rowtype;
  begin
    select * into q from bench.flat where n = (select nextval('bench.flat_seq'));
    if not found then
      return false;
    end if;
    perform ${call};
    return true;
  exception when sqlstate 'CRP01' then
    return false;
  end $$`;

const CALLS = {
  after: `public.reserve_tickets(p_buyer_id => q.buyer_id, p_event_id => q.event_id,
            p_items => q.items, p_idempotency_key => q.buyer_id::text, p_request_hash => 'flat',
            p_hold_minutes => 15)`,
  before: `public.reserve_tickets(q.buyer_id, null, q.event_id, q.items, '[]'::jsonb,
             q.buyer_id::text, 'flat', 15)`,
};

async function seed(sql: postgres.Sql, schema: FlatRun["schema"], seats: number, buyers: number) {
  const [{ id: eventId }] = await sql`
    insert into public.events (slug, title, venue, starts_at, ends_at, status,
                               max_tickets_per_user)
    values ('bench-flat', 'Bench: flatness', 'Stadium', now() + interval '7 days',
            now() + interval '7 days 4 hours', 'published', 10) returning id`;
  const [{ id: typeId }] = await sql`
    insert into public.ticket_types (event_id, name, price, capacity)
    values (${eventId}, 'General', 10000, ${seats}) returning id`;
  await sql`create schema bench`;
  await sql`create table bench.flat (n bigint primary key, buyer_id uuid not null,
                                     event_id uuid not null, items jsonb not null)`;
  await sql`
    with users as (
      insert into auth.users (id, aud, role, email)
      select gen_random_uuid(), 'authenticated', 'authenticated', 'flat-' || g || '@bench.local'
        from generate_series(1, ${buyers}) g
      returning id)
    insert into bench.flat (n, buyer_id, event_id, items)
    select row_number() over (), id, ${eventId},
           jsonb_build_array(jsonb_build_object('ticket_type_id', ${typeId}::uuid, 'quantity', 1))
      from users`;
  await sql`create sequence bench.flat_seq`;
  await sql.unsafe(tryReserve(CALLS[schema]));
  await sql`vacuum analyze`;
  await sql`checkpoint`;
  return eventId as string;
}

/** Holds per second over `window` consecutive hold times (ms since epoch, sorted). */
function rate(times: number[]): number {
  const seconds = (times[times.length - 1] - times[0]) / 1000;
  return seconds > 0 ? Math.round(((times.length - 1) / seconds) * 10) / 10 : 0;
}

export async function runFlat(
  serverUrl: string,
  opts: {
    schema: FlatRun["schema"];
    seats: number;
    buyers: number;
    concurrency: number;
    window: number;
  },
): Promise<FlatRun> {
  const scratch = await createScratchDatabase(serverUrl, `${BENCH_DB_PREFIX}flat_`);
  const sql = postgres(scratch.url, { max: 2, onnotice: () => {} });
  const old = opts.schema === "before" ? await migrationsBefore(HELD_COUNTER_VERSION) : undefined;
  try {
    await ensureLocalSupabase(sql);
    await applyMigrations(sql, old?.url);
    const eventId = await seed(sql, opts.schema, opts.seats, opts.buyers);
    const pgbench = await runPgbench({
      databaseUrl: scratch.url,
      statement: "select bench.try_reserve()",
      clients: opts.concurrency,
      transactionsPerClient: Math.ceil(opts.buyers / opts.concurrency),
    });
    const rows = await sql<{ ms: number }[]>`
      select extract(epoch from created_at) * 1000 as ms from public.orders
       where event_id = ${eventId} order by created_at`;
    const times = rows.map((r) => Number(r.ms));
    const [{ drift }] = opts.schema === "after"
      ? await sql`select count(*)::int as drift from public.ticket_type_hold_drift()`
      : [{ drift: 0 }];
    const first = rate(times.slice(0, opts.window));
    const last = rate(times.slice(-opts.window));
    return {
      schema: opts.schema,
      seats: opts.seats,
      buyers: opts.buyers,
      concurrency: opts.concurrency,
      window: opts.window,
      holds: times.length,
      refusals: pgbench.transactions - times.length,
      drift,
      pgbench,
      first_holds_per_second: first,
      last_holds_per_second: last,
      ratio: first > 0 ? Math.round((last / first) * 100) / 100 : 0,
    };
  } finally {
    await sql.end({ timeout: 2 });
    await scratch.drop();
    await old?.remove();
  }
}
