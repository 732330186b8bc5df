/** Builders for the door: ticket types, paid orders with their tickets, revocations. */
import type { Db, Sql } from "../../shared/db/mod.ts";
import {
  type EventRow,
  makeEvent,
  makeOrderWithTickets,
  makeTicketType as baseMakeTicketType,
  makeUser,
  type TestUser,
  type TicketTypeOverrides,
  type TicketTypeRow,
} from "./builders.ts";

export type { TicketTypeRow };

/** A ticket type for door tests: cheap and roomy, so only the door rules matter. */
export const makeTicketType = (sql: Db, eventId: string, overrides: TicketTypeOverrides = {}) =>
  baseMakeTicketType(sql, eventId, { price: 1000, capacity: 1000, ...overrides });

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
  const { orderId, ticketIds } = await makeOrderWithTickets(sql, {
    event,
    ticketType: type,
    buyer: owner,
    quantity: options.count ?? 1,
    status: options.orderStatus ?? "paid",
    issueTickets: true,
    attendeeName: options.attendeeName ?? "Ada Lovelace",
    attendeeEmail: owner.email,
  });
  return ticketIds.map((id) => ({ id, eventId: event.id, orderId, ticketTypeId: type.id, owner }));
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
