/**
 * The transition "reserve": one call into public.reserve_tickets_guarded
 * (reserve_tickets behind the waiting room's admission token and the
 * anti-hoarding limits; named arguments), its SQLSTATEs mapped by
 * order_errors.ts.
 */
import type { Sql } from "../../shared/db/mod.ts";
import { orderError } from "./order_errors.ts";

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
  /** The verified admission token's id, when the buyer came through the waiting room. */
  admissionTokenId?: string;
  /** Without a waiting room: unpaid orders per buyer and event within the window. */
  unpaidLimit: number;
  unpaidWindowMinutes: number;
}

/** The order as the API answers it (new, or the one the key created). */
export interface ReservedOrder {
  order_id: string;
  status: string;
  total: number;
  currency: string;
  expires_at: string;
  checkout_url: string | null;
  /** Until when a cash voucher or transfer may be paid; null: not offered. */
  slow_payment_deadline: string | null;
  replayed: boolean;
}

/** A line of the order, as checkout shows it to the provider. */
export interface OrderLine {
  ticket_type_id: string;
  name: string;
  quantity: number;
  unit_price: number;
}

type Json = Parameters<Sql["json"]>[0];

/**
 * Takes the holds in one autocommit statement: the server commits as the
 * function returns, so the ticket type's row lock is not held across a round
 * trip (the function bounds its own lock waits with lock_timeout). An
 * admission token is spent in that same transaction.
 */
export async function reserveTickets(
  sql: Sql,
  input: ReservationInput,
): Promise<{ order: ReservedOrder; lines: OrderLine[] }> {
  try {
    const [row] = await sql<{ order: ReservedOrder & { items: OrderLine[] } }[]>`
      select public.reserve_tickets_guarded(
        p_buyer_id => ${input.buyerId}, p_event_id => ${input.eventId},
        p_items => ${sql.json(input.items as unknown as Json)},
        p_idempotency_key => ${input.idempotencyKey}, p_request_hash => ${input.requestHash},
        p_hold_minutes => ${input.holdMinutes}, p_buyer_email => ${input.buyerEmail ?? null},
        p_attendees => ${sql.json(input.attendees as unknown as Json)},
        p_admission => ${
      input.admissionTokenId ? sql.json({ token_id: input.admissionTokenId }) : null
    },
        p_unpaid_limit => ${input.unpaidLimit},
        p_unpaid_window_minutes => ${input.unpaidWindowMinutes}) as "order"`;
    const { items, ...order } = row.order;
    return { order: withIsoDates(order), lines: items };
  } catch (error) {
    throw orderError(error) ?? error;
  }
}

// jsonb renders timestamps as "…+00:00" with microseconds; the API speaks ISO 8601 UTC.
function withIsoDates(order: ReservedOrder): ReservedOrder {
  const deadline = order.slow_payment_deadline;
  return {
    ...order,
    expires_at: new Date(order.expires_at).toISOString(),
    slow_payment_deadline: deadline ? new Date(deadline).toISOString() : null,
  };
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
      select public.order_for_idempotency_key(p_buyer_id => ${buyerId},
        p_idempotency_key => ${idempotencyKey}, p_request_hash => ${requestHash}) as "order"`;
    return row.order !== null;
  } catch (error) {
    throw orderError(error) ?? error;
  }
}
