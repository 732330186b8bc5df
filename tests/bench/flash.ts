/**
 * Flash sale: every buyer at once on one ticket type through POST /purchases
 * (JWT, per-user rate limit, sold-out fast path, the reservation, the
 * simulated Mercado Pago preference). Its baseline is physical — the hot-row
 * ceiling: pgbench running the least a hold can cost, one guarded counter
 * UPDATE plus one insert, at the same concurrency. Beside it pgbench runs the
 * project's own `reserve_tickets()`, so the function's cost shows too. Both
 * pgbench runs are timed and counted after a warm-up, as the API's pool is: a
 * new connection's first calls compile PL/pgSQL and plan every statement.
 */
import type { Sql } from "../../shared/db/mod.ts";
import type { Buyer, FlashData } from "./data.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { type PgbenchResult, runPgbench } from "./pgbench.ts";

export interface FlashRun {
  concurrency: number;
  buyers: number;
  capacity: number;
  api: LoadResult;
  /** Holds taken through the API, per second, until the last one. */
  holds_per_second: number;
  /** What the database says afterwards. */
  held: number;
  orders: number;
  /** The hot-row ceiling: guarded counter UPDATE + one insert. */
  ceiling: PgbenchResult;
  /** pgbench running reserve_tickets() for fresh buyers on a roomy type. */
  pgbench: PgbenchResult;
  pgbench_held: number;
  /** reserve_tickets() tps / the ceiling (target ≥ 0.6). */
  sql_ratio: number;
  /** API holds/s / the ceiling (target ≥ 0.3). */
  ratio: number;
  /** A winner's (201) p99 / a refusal's (409) p99 (target ≤ 3). */
  winner_p99_ratio: number;
}

export const ceilingSql = `
  with hold as (
    update public.ticket_types set held = held + 1
     where id = :type and held + sold + 1 <= capacity
    returning id)
  insert into bench.ceiling_holds (ticket_type_id) select id from hold`;

const reserveSql = `
  select public.reserve_tickets(p_buyer_id => q.buyer_id, p_event_id => :event,
    p_items => :items::jsonb, p_idempotency_key => q.idempotency_key, p_request_hash => 'pgbench',
    p_hold_minutes => 15, p_buyer_email => q.email)
    from bench.flash q
   where q.n = (select nextval('bench.flash_seq'))`;

/** "hold" for a 201, the error code otherwise (e.g. "409 sold_out"). */
export function purchaseOutcome(status: number, body: string): string {
  if (status === 201) return "hold";
  return `${status} ${/"code":"(\w+)"/.exec(body)?.[1] ?? ""}`.trim();
}

export function purchases(
  url: string,
  eventId: string,
  typeId: string,
  buyers: Buyer[],
  connections: number,
) {
  let next = 0;
  const body = JSON.stringify({
    event_id: eventId,
    items: [{ ticket_type_id: typeId, quantity: 1 }],
  });
  return runLoad({
    url,
    connections,
    label: "POST /purchases",
    amount: buyers.length,
    classify: purchaseOutcome,
    next: () => {
      const buyer = buyers[next++ % buyers.length];
      return {
        method: "POST",
        path: "/functions/v1/purchases",
        headers: {
          authorization: `Bearer ${buyer.token}`,
          "idempotency-key": buyer.key,
          "content-type": "application/json",
        },
        body,
      };
    },
  }, "hold");
}

async function held(sql: Sql, typeId: string) {
  const [row] = await sql<{ held: number; orders: number }[]>`
    select public.ticket_type_held(${typeId}) as held,
           (select count(*)::int from public.order_items where ticket_type_id = ${typeId}) as orders`;
  return row;
}

const ratio = (a: number, b: number) => b > 0 ? Math.round((a / b) * 100) / 100 : 0;

export async function runFlash(
  url: string,
  sql: Sql,
  databaseUrl: string,
  data: FlashData,
  opts: {
    concurrency: number;
    capacity: number;
    /** pgbench's timed runs (steady state: the warm-up is not counted). */
    pg: { warmupSeconds: number; seconds: number };
    /** Buyers of the API's warm-up, on an event of its own. */
    warm: number;
    /** Vacuums and checkpoints the database: each pgbench run starts from the same state. */
    settle: () => Promise<void>;
  },
): Promise<FlashRun> {
  const timed = { clients: opts.concurrency, ...opts.pg };
  await opts.settle();
  const ceiling = await runPgbench({
    databaseUrl,
    statement: ceilingSql,
    variables: { type: data.ceilingTypeId },
    ...timed,
  });
  await opts.settle();
  const pgbench = await runPgbench({
    databaseUrl,
    statement: reserveSql,
    variables: {
      event: data.pgEventId,
      items: JSON.stringify([{ ticket_type_id: data.pgTypeId, quantity: 1 }]),
    },
    ...timed,
  });
  const pgHeld = await held(sql, data.pgTypeId);
  await opts.settle();
  // The API warms up right before its sale: the server's pool closes a connection idle for 20 s,
  // which the pgbench runs above outlast, and a new connection compiles PL/pgSQL and plans its
  // first calls. 16 at once opens every connection of the pool (DB_POOL_MAX 10).
  const warmBuyers = data.buyers.slice(0, opts.warm).map((b) => ({ ...b, key: `warm-${b.key}` }));
  await purchases(url, data.warmEventId, data.warmTypeId, warmBuyers, Math.min(16, opts.warm));
  const api = await purchases(url, data.eventId, data.typeId, data.buyers, opts.concurrency);
  const after = await held(sql, data.typeId);
  const lastHoldSeconds = (api.marks.at(-1) ?? 0) / 1000;
  const holdsPerSecond = lastHoldSeconds > 0 ? api.marks.length / lastHoldSeconds : 0;
  const winners = api.latency_by_status_ms["201"]?.p99 ?? 0;
  const refusals = api.latency_by_status_ms["409"]?.p99 ?? 0;
  return {
    concurrency: opts.concurrency,
    buyers: data.buyers.length,
    capacity: opts.capacity,
    api,
    holds_per_second: Math.round(holdsPerSecond * 10) / 10,
    held: after.held,
    orders: after.orders,
    ceiling,
    pgbench,
    pgbench_held: pgHeld.held,
    sql_ratio: ratio(pgbench.tps, ceiling.tps),
    ratio: ratio(holdsPerSecond, ceiling.tps),
    winner_p99_ratio: ratio(winners, refusals),
  };
}
