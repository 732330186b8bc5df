/** Builders for the events domain: ticket types, paid orders and holds that keep `sold` truthful. */
import type { Db } from "../../shared/db.ts";

export interface TicketTypeRow {
  id: string;
  event_id: string;
  name: string;
  price: number;
  capacity: number;
  sold: number;
  is_active: boolean;
}

export interface TicketTypeOverrides {
  name?: string;
  price?: number;
  capacity?: number;
  isActive?: boolean;
  sortOrder?: number;
}

let counter = 0;

export async function makeTicketType(
  sql: Db,
  eventId: string,
  overrides: TicketTypeOverrides = {},
): Promise<TicketTypeRow> {
  const [row] = await sql<TicketTypeRow[]>`
    insert into public.ticket_types (event_id, name, price, capacity, is_active, sort_order)
    values (${eventId}, ${overrides.name ?? `Type ${++counter}`}, ${overrides.price ?? 10_000},
            ${overrides.capacity ?? 100}, ${overrides.isActive ?? true},
            ${overrides.sortOrder ?? 0})
    returning id, event_id, name, price, capacity, sold, is_active`;
  return row;
}

interface OrderSpec {
  buyerId: string;
  eventId: string;
  ticketTypeId: string;
  quantity: number;
  unitPrice: number;
}

async function insertOrder(sql: Db, spec: OrderSpec, status: "paid" | "pending", minutes = 15) {
  const [order] = await sql<{ id: string }[]>`
    insert into public.orders (buyer_id, event_id, status, total, currency, expires_at,
                               idempotency_key, request_hash, paid_at)
    values (${spec.buyerId}, ${spec.eventId}, ${status}, ${spec.quantity * spec.unitPrice}, 'ARS',
            now() + make_interval(mins => ${minutes}), ${crypto.randomUUID()}, 'test',
            ${status === "paid" ? sql`now()` : null})
    returning id`;
  await sql`
    insert into public.order_items (order_id, ticket_type_id, quantity, unit_price, held_until)
    values (${order.id}, ${spec.ticketTypeId}, ${spec.quantity}, ${spec.unitPrice},
            ${status === "pending" ? sql`now() + make_interval(mins => ${minutes})` : null})`;
  return order.id;
}

/** A paid order with its tickets, and `sold` raised to match. */
export async function makePaidOrder(sql: Db, spec: OrderSpec): Promise<string> {
  const orderId = await insertOrder(sql, spec, "paid");
  await sql`update public.ticket_types set sold = sold + ${spec.quantity}
             where id = ${spec.ticketTypeId}`;
  await sql`
    insert into public.tickets (order_id, event_id, ticket_type_id, owner_id)
    select ${orderId}, ${spec.eventId}, ${spec.ticketTypeId}, ${spec.buyerId}
      from generate_series(1, ${spec.quantity}::int)`;
  return orderId;
}

/** A pending order whose line holds `quantity` seats for `minutes`. */
export async function makeHold(sql: Db, spec: OrderSpec, minutes = 15): Promise<string> {
  return await insertOrder(sql, spec, "pending", minutes);
}
