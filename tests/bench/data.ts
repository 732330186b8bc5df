/**
 * The benchmark's database: a fresh one on the real server (bootstrap +
 * migrations, as the test harness does), and the rows each scenario needs,
 * inserted in bulk. The work queues pgbench reads live in a `bench` schema of
 * this throwaway database only.
 */
import postgres from "postgres";
import type { Sql } from "../../shared/db/mod.ts";
import { prepareDatabase } from "../../shared/db/migrate.ts";
import { signTicketCode } from "../../shared/tickets/codes.ts";
import type { Keyring } from "../../shared/tickets/keys.ts";
import { signHs256Token } from "../../functions/_dev/demo.ts";
import { createScratchDatabase } from "../support/scratch_db.ts";

export const BENCH_DB_PREFIX = "crodify_bench_";

export interface BenchDatabase {
  url: string;
  name: string;
  sql: Sql;
  /** Vacuums the tables the runs write and checkpoints: call before each measured run. */
  settle(): Promise<void>;
  drop(): Promise<void>;
}

/** Creates and migrates a database of its own; drop() removes it. */
export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  const scratch = await createScratchDatabase(serverUrl, BENCH_DB_PREFIX);
  // Its own application_name, so the server's connections can be told apart (CPU profile).
  const sql = postgres(scratch.url, {
    max: 4,
    onnotice: () => {},
    connection: { application_name: "crodify_bench" },
  });
  await prepareDatabase(sql);
  return {
    url: scratch.url,
    name: scratch.name,
    sql,
    async settle() {
      // What pgbench does before a run unless -n: the previous run's dead rows
      // vacuumed and its dirty pages flushed now, not by autovacuum or a
      // checkpoint in the middle of the next measurement.
      await sql`vacuum (analyze) public.tickets, public.checkins, public.ticket_types,
                                 public.orders, public.order_items`;
      await sql`checkpoint`;
    },
    async drop() {
      await sql.end({ timeout: 2 });
      await scratch.drop();
    },
  };
}

async function insertUsers(sql: Sql, tag: string, count: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    insert into auth.users (id, aud, role, email)
    select gen_random_uuid(), 'authenticated', 'authenticated',
           ${tag} || '-' || g || '@bench.crodify.local'
      from generate_series(1, ${count}) g
    returning id`;
  return rows.map((r) => r.id);
}

const token = (secret: string, sub: string, roles: ("user" | "scanner")[], email?: string) =>
  signHs256Token(secret, { sub, roles, email, expiresIn: "2h" });

// ------------------------------------------------------------------ door

export interface DoorScan {
  code: string;
  token: string;
  device: string;
  nonce: string;
}

export interface DoorData {
  eventId: string;
  /** Signed codes for the HTTP pools, in queue order. */
  scans: Record<string, DoorScan[]>;
}

/**
 * An event whose doors are open, `pools` of distinct paid tickets (one pool per
 * run, so every scan is a first entry), scanners on its staff, and
 * bench.door(pool, n, …): the queue a pgbench client takes its next scan from.
 */
export async function seedDoor(
  sql: Sql,
  pools: Record<string, number>,
  opts: { scanners: number; devices: number; keyring: Keyring; jwtSecret: string },
): Promise<DoorData> {
  const total = Object.values(pools).reduce((a, b) => a + b, 0);
  const perOrder = 100; // order_items.quantity is at most 100
  const orders = Math.ceil(total / perOrder);
  const [owner] = await insertUsers(sql, "door-owner", 1);
  const [{ id: eventId }] = await sql<{ id: string }[]>`
    insert into public.events (slug, title, venue, starts_at, ends_at, status)
    values ('bench-door', 'Bench: the door', 'Bench arena', now() + interval '1 hour',
            now() + interval '5 hours', 'published')
    returning id`;
  const [{ id: typeId }] = await sql<{ id: string }[]>`
    insert into public.ticket_types (event_id, name, price, capacity, sold)
    values (${eventId}, 'General', 1000, ${orders * perOrder}, ${orders * perOrder})
    returning id`;
  await sql`
    insert into public.orders (buyer_id, event_id, status, total, currency, expires_at,
                               idempotency_key, request_hash, paid_at)
    select ${owner}, ${eventId}, 'paid', ${perOrder * 1000}, 'ARS', now(), 'bench-door-' || g,
           'bench', now()
      from generate_series(1, ${orders}) g`;
  await sql`
    insert into public.order_items (order_id, ticket_type_id, quantity, unit_price)
    select id, ${typeId}, ${perOrder}, 1000 from public.orders where event_id = ${eventId}`;
  await sql`
    insert into public.tickets (order_id, event_id, ticket_type_id, owner_id, attendee_name)
    select o.id, ${eventId}, ${typeId}, ${owner}, 'Attendee ' || g
      from public.orders o cross join generate_series(1, ${perOrder}) g
     where o.event_id = ${eventId}`;
  const scanners = await insertUsers(sql, "door-scanner", opts.scanners);
  await sql`insert into public.event_staff (event_id, user_id, role)
            select ${eventId}, unnest(${scanners}::uuid[]), 'scanner'`;
  await sql`create schema if not exists bench`;
  await sql`create table bench.door (
              pool text, n integer, ticket_id uuid not null, scanner_id uuid not null,
              device_id text not null, nonce text not null, primary key (pool, n))`;
  let offset = 0;
  for (const [pool, size] of Object.entries(pools)) {
    await sql`
      insert into bench.door (pool, n, ticket_id, scanner_id, device_id, nonce)
      select ${pool}, i - ${offset}, id, (${scanners}::uuid[])[1 + i % ${scanners.length}],
             'dev-' || (i % ${opts.devices}), ${pool} || '-' || (i - ${offset})
        from (select id, row_number() over (order by id)::int as i
                from public.tickets where event_id = ${eventId}) t
       where i > ${offset} and i <= ${offset + size}`;
    await sql.unsafe(`create sequence bench.door_${pool}_seq`);
    offset += size;
  }
  await sql`analyze`;
  const tokens = new Map(
    await Promise.all(
      scanners.map(async (id) =>
        [id, await token(opts.jwtSecret, id, ["user", "scanner"])] as const
      ),
    ),
  );
  const scans: Record<string, DoorScan[]> = {};
  for (const pool of Object.keys(pools).filter((p) => p.startsWith("http"))) {
    const rows = await sql<
      { ticket_id: string; scanner_id: string; device_id: string; nonce: string }[]
    >`
      select ticket_id, scanner_id, device_id, nonce from bench.door where pool = ${pool} order by n`;
    scans[pool] = await Promise.all(rows.map(async (r) => ({
      code: await signTicketCode(opts.keyring, { ticketId: r.ticket_id, eventId }),
      token: tokens.get(r.scanner_id)!,
      device: r.device_id,
      nonce: r.nonce,
    })));
  }
  return { eventId, scans };
}

// ------------------------------------------------------------------ flash sale

export interface Buyer {
  token: string;
  key: string;
}

export interface FlashData {
  eventId: string;
  typeId: string;
  /** The hot-row ceiling's ticket type (room for every transaction). */
  ceilingTypeId: string;
  /** The ticket type pgbench reserves on, with room for every pgbench transaction. */
  pgEventId: string;
  pgTypeId: string;
  /** A roomy type to warm the purchase path on before the sale. */
  warmEventId: string;
  warmTypeId: string;
  buyers: Buyer[];
}

async function flashEvent(sql: Sql, slug: string, capacity: number) {
  const [{ id: eventId }] = await sql<{ id: string }[]>`
    insert into public.events (slug, title, venue, starts_at, ends_at, status)
    values (${slug}, 'Bench: flash sale', 'Bench arena', now() + interval '7 days',
            now() + interval '7 days 4 hours', 'published')
    returning id`;
  const [{ id: typeId }] = await sql<{ id: string }[]>`
    insert into public.ticket_types (event_id, name, price, capacity, max_per_order)
    values (${eventId}, 'Early bird', 10000, ${capacity}, 10)
    returning id`;
  return { eventId, typeId };
}

/**
 * One ticket type of `capacity` and `buyers` distinct users with tokens and
 * Idempotency-Keys for the API; a second event whose type fits `pgHolds`
 * holds, and bench.flash(n, buyer, …), the queue pgbench takes buyers from.
 */
export async function seedFlash(
  sql: Sql,
  opts: { buyers: number; capacity: number; pgHolds: number; jwtSecret: string },
): Promise<FlashData> {
  const api = await flashEvent(sql, "bench-flash", opts.capacity);
  const pg = await flashEvent(sql, "bench-flash-pgbench", opts.pgHolds);
  const warm = await flashEvent(sql, "bench-flash-warmup", 100_000);
  const ids = await insertUsers(sql, "buyer", Math.max(opts.buyers, opts.pgHolds));
  await sql`create schema if not exists bench`;
  await sql`create table bench.flash (n integer primary key, buyer_id uuid not null,
                                      email text not null, idempotency_key text not null)`;
  await sql`
    insert into bench.flash (n, buyer_id, email, idempotency_key)
    select row_number() over (order by u.id), u.id, u.email, 'pgbench-' || u.id
      from auth.users u where u.id = any(${ids}::uuid[])`;
  await sql`create sequence bench.flash_seq`;
  // The hot-row ceiling: the least a hold can cost (guarded counter UPDATE + one insert).
  const ceiling = await flashEvent(sql, "bench-flash-ceiling", 1_000_000);
  await sql`create table bench.ceiling_holds (id bigint generated always as identity primary key,
                                              ticket_type_id uuid not null,
                                              at timestamptz not null default now())`;
  await sql`analyze`;
  const emails = await sql<{ id: string; email: string }[]>`
    select id, email from auth.users where id = any(${ids.slice(0, opts.buyers)}::uuid[])`;
  const buyers = await Promise.all(emails.map(async (u) => ({
    token: await token(opts.jwtSecret, u.id, ["user"], u.email),
    key: `flash-${u.id}`,
  })));
  return {
    ...api,
    ceilingTypeId: ceiling.typeId,
    pgEventId: pg.eventId,
    pgTypeId: pg.typeId,
    warmEventId: warm.eventId,
    warmTypeId: warm.typeId,
    buyers,
  };
}

// ------------------------------------------------------------------ catalog

/** `count` published upcoming events with two ticket types each; returns their ids. */
export async function seedCatalog(sql: Sql, count: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    insert into public.events (slug, title, venue, description, starts_at, ends_at, status)
    select 'bench-catalog-' || g, 'Bench concert ' || g, 'Venue ' || (g % 7),
           repeat('A night of music. ', 10), now() + make_interval(days => g),
           now() + make_interval(days => g, hours => 4), 'published'
      from generate_series(1, ${count}) g
    returning id`;
  const ids = rows.map((r) => r.id);
  await sql`
    insert into public.ticket_types (event_id, name, price, capacity, sort_order)
    select e, t.name, t.price, 1000, t.sort
      from unnest(${ids}::uuid[]) e
     cross join (values ('General', 15000, 1), ('VIP', 40000, 2)) t (name, price, sort)`;
  return ids;
}
