/** Builders for the door: ticket types, paid orders with their tickets, revocations. */
import type { Db, Sql } from "../../shared/db.ts";
import { type EventRow, makeEvent, makeUser, type TestUser } from "./builders.ts";

export interface TicketTypeRow {
  id: string;
  event_id: string;
  name: string;
  allow_reentry: boolean;
}

let counter = 0;

export async function makeTicketType(
  sql: Db,
  eventId: string,
  overrides: { allowReentry?: boolean; name?: string; capacity?: number } = {},
): Promise<TicketTypeRow> {
  const [row] = await sql<TicketTypeRow[]>`
    insert into public.ticket_types (event_id, name, price, capacity, allow_reentry)
    values (${eventId}, ${overrides.name ?? `Type ${++counter}`}, 1000,
            ${overrides.capacity ?? 1000}, ${overrides.allowReentry ?? false})
    returning id, event_id, name, allow_reentry`;
  return row;
}

/** An event whose doors are open now (it starts in an hour). */
export const makeOpenEvent = (sql: Db) => makeEvent(sql, { startsInHours: 1, durationHours: 4 });

export interface TicketFixture {
  id: string;
  eventId: string;
  orderId: string;
  ticketTypeId: string;
  owner: TestUser;
}

export interface TicketOptions {
  /** Only the id is used; an open event is made when absent. */
  event?: Pick<EventRow, "id">;
  ticketType?: TicketTypeRow;
  owner?: TestUser;
  orderStatus?: "paid" | "pending" | "refunded" | "cancelled";
  attendeeName?: string;
  count?: number;
}

/** A paid order (by default) with `count` tickets, as purchases would leave it. */
export async function makeTickets(sql: Db, options: TicketOptions = {}): Promise<TicketFixture[]> {
  const event = options.event ?? await makeOpenEvent(sql);
  const type = options.ticketType ?? await makeTicketType(sql, event.id);
  const owner = options.owner ?? await makeUser(sql);
  const count = options.count ?? 1;
  const status = options.orderStatus ?? "paid";
  const [order] = await sql<{ id: string }[]>`
    insert into public.orders (buyer_id, event_id, status, total, currency, expires_at,
                               idempotency_key, request_hash, paid_at)
    values (${owner.id}, ${event.id}, ${status}, ${
    1000 * count
  }, 'ARS', now() + interval '15 minutes',
            ${crypto.randomUUID()}, 'test', ${status === "paid" ? new Date() : null})
    returning id`;
  await sql`insert into public.order_items (order_id, ticket_type_id, quantity, unit_price)
            values (${order.id}, ${type.id}, ${count}, 1000)`;
  await sql`update public.ticket_types set sold = sold + ${count} where id = ${type.id}`;
  const rows = await sql<{ id: string }[]>`
    insert into public.tickets (order_id, event_id, ticket_type_id, owner_id, attendee_name,
                                attendee_email)
    select ${order.id}, ${event.id}, ${type.id}, ${owner.id},
           ${options.attendeeName ?? "Ada Lovelace"}, ${owner.email}
      from generate_series(1, ${count})
    returning id`;
  return rows.map(({ id }) => ({
    id,
    eventId: event.id,
    orderId: order.id,
    ticketTypeId: type.id,
    owner,
  }));
}

export async function makeTicket(sql: Db, options: TicketOptions = {}): Promise<TicketFixture> {
  return (await makeTickets(sql, { ...options, count: 1 }))[0];
}

/** What a refund does to a ticket (purchases owns the real flow). */
export async function revokeTicket(sql: Db, ticketId: string): Promise<void> {
  await sql`update public.tickets set status = 'revoked', revoked_at = now(),
                   revoke_reason = 'refunded'
             where id = ${ticketId}`;
}

export async function checkinRows(sql: Db, ticketId: string) {
  return await sql<{ result: string; nonce: string | null; conflict: boolean }[]>`
    select result, nonce, conflict from public.checkins where ticket_id = ${ticketId}
     order by id`;
}

/** Moves tickets' updated_at into the past (as if made a while ago), bypassing the touch trigger. */
export async function backdateTickets(sql: Sql, ids: string[], minutes = 10): Promise<void> {
  await sql.begin(async (tx) => {
    // Replica mode skips ordinary triggers for this transaction only (superuser, tests only).
    await tx`set local session_replication_role = replica`;
    await tx`update public.tickets set updated_at = now() - make_interval(mins => ${minutes})
              where id = any(${ids}::uuid[])`;
  });
}
