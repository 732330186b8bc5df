/**
 * The call into public.reserve_tickets and the translation of its SQLSTATEs
 * (CRP01…CRP09, see the purchases migration) into stable domain codes.
 */
import { type Sql, withTx } from "../../shared/db.ts";
import { DomainError } from "../../shared/errors.ts";

export interface ReservationItem {
  ticket_type_id: string;
  quantity: number;
}

export interface Attendee {
  ticket_type_id: string;
  name?: string;
  email?: string;
}

export interface ReservationInput {
  buyerId: string;
  buyerEmail: string | undefined;
  eventId: string;
  items: ReservationItem[];
  attendees: Attendee[];
  idempotencyKey: string;
  requestHash: string;
  holdMinutes: number;
}

/** What reserve_tickets returns: the order (new, or the one the key created) as JSON. */
export interface ReservedOrder {
  order_id: string;
  status: string;
  total: number;
  currency: string;
  expires_at: string;
  checkout_url: string | null;
  replayed: boolean;
}

const CODES: Record<string, string> = {
  CRP01: "sold_out",
  CRP02: "max_per_order_exceeded",
  CRP03: "user_limit_exceeded",
  CRP04: "sales_not_open",
  CRP05: "sales_closed",
  CRP06: "event_not_on_sale",
  CRP07: "ticket_type_not_found",
  CRP08: "event_not_found",
  CRP09: "idempotency_conflict",
};

// Contention on a hot ticket type must fail fast (503 busy) instead of queueing
// every request of a flash sale behind the row lock.
const RESERVE_LOCK_TIMEOUT_MS = 2000;

/** The domain error for a reservation SQLSTATE, or undefined for anything else. */
export function reservationError(error: unknown): DomainError | undefined {
  const pg = error as { code?: string; detail?: string; hint?: string };
  const code = pg?.code ? CODES[pg.code] : undefined;
  if (!code) return undefined;
  let details: Record<string, unknown> | undefined;
  try {
    details = pg.detail ? JSON.parse(pg.detail) : undefined;
  } catch {
    details = undefined;
  }
  return new DomainError(code, pg.hint ?? code, details);
}

/** Takes the hold in one statement (one plpgsql function) inside a bounded transaction. */
export async function reserveTickets(sql: Sql, input: ReservationInput): Promise<ReservedOrder> {
  try {
    return await withTx(sql, async (tx) => {
      const [row] = await tx<{ order: ReservedOrder }[]>`
        select public.reserve_tickets(
          ${input.buyerId}, ${input.buyerEmail ?? null}, ${input.eventId},
          ${tx.json(input.items as unknown as Parameters<typeof tx.json>[0])},
          ${tx.json(input.attendees as unknown as Parameters<typeof tx.json>[0])},
          ${input.idempotencyKey}, ${input.requestHash}, ${input.holdMinutes}) as "order"`;
      // jsonb renders timestamps as "…+00:00" with microseconds; the API speaks ISO 8601 UTC.
      return { ...row.order, expires_at: new Date(row.order.expires_at).toISOString() };
    }, { lockTimeoutMs: RESERVE_LOCK_TIMEOUT_MS });
  } catch (error) {
    throw reservationError(error) ?? error;
  }
}

/**
 * Whether the buyer's Idempotency-Key already made an order (the same body);
 * another body under the key is idempotency_conflict, as in reserveTickets.
 */
export async function orderForKey(
  sql: Sql,
  buyerId: string,
  idempotencyKey: string,
  requestHash: string,
): Promise<boolean> {
  try {
    const [row] = await sql<{ order: ReservedOrder | null }[]>`
      select public.order_for_idempotency_key(${buyerId}, ${idempotencyKey}, ${requestHash})
        as "order"`;
    return row.order !== null;
  } catch (error) {
    throw reservationError(error) ?? error;
  }
}
