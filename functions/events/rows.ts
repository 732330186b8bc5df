/** Column lists and row → JSON mappers shared by the events services. */
import type { Db } from "../../shared/db/mod.ts";
import type { z } from "zod";
import type { Event, PublicTicketType, TicketType } from "./schemas.ts";

export type EventJson = z.infer<typeof Event>;
export type PublicTicketTypeJson = z.infer<typeof PublicTicketType>;
export type TicketTypeJson = z.infer<typeof TicketType>;

export interface EventRow {
  id: string;
  slug: string;
  title: string;
  description: string;
  venue: string;
  address: string;
  starts_at: Date;
  ends_at: Date;
  time_zone: string;
  currency: string;
  status: EventJson["status"];
  cover_image_url: string | null;
  max_tickets_per_user: number;
  slow_payments: EventJson["slow_payments"];
  slow_payment_days: number;
  created_at: Date;
  updated_at: Date;
}

export const eventColumns = (sql: Db) =>
  sql`e.id, e.slug, e.title, e.description, e.venue, e.address, e.starts_at, e.ends_at,
      e.time_zone, e.currency, e.status, e.cover_image_url, e.max_tickets_per_user,
      e.slow_payments, e.slow_payment_days, e.created_at, e.updated_at`;

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export function toEvent(row: EventRow): EventJson {
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    description: row.description,
    venue: row.venue,
    address: row.address,
    starts_at: iso(row.starts_at),
    ends_at: iso(row.ends_at),
    time_zone: row.time_zone,
    currency: row.currency,
    status: row.status,
    cover_image_url: row.cover_image_url,
    max_tickets_per_user: row.max_tickets_per_user,
    slow_payments: row.slow_payments,
    slow_payment_days: row.slow_payment_days,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export interface TicketTypeRow {
  id: string;
  event_id: string;
  name: string;
  description: string;
  price: number;
  capacity: number;
  sold: number;
  held: number;
  max_per_order: number;
  sort_order: number;
  is_active: boolean;
  allow_reentry: boolean;
  sales_start_at: Date | null;
  sales_end_at: Date | null;
  on_sale: boolean;
  created_at: Date;
  updated_at: Date;
}

/**
 * Ticket type columns with live accounting: `held` counts unexpired holds only,
 * `on_sale` needs a published event that has not ended and an open sales window.
 * Expects `t` (ticket_types) joined with `e` (events).
 */
export const ticketTypeColumns = (sql: Db) =>
  sql`t.id, t.event_id, t.name, t.description, t.price, t.capacity, t.sold,
      public.ticket_type_held(t.id) as held, t.max_per_order, t.sort_order, t.is_active,
      t.allow_reentry, t.sales_start_at, t.sales_end_at, t.created_at, t.updated_at,
      (e.status = 'published' and e.ends_at > now()
        and (t.sales_start_at is null or t.sales_start_at <= now())
        and (t.sales_end_at is null or t.sales_end_at > now())) as on_sale`;

export function toPublicTicketType(row: TicketTypeRow): PublicTicketTypeJson {
  const available = Math.max(0, row.capacity - row.sold - row.held);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    price: row.price,
    max_per_order: row.max_per_order,
    sort_order: row.sort_order,
    allow_reentry: row.allow_reentry,
    sales_start_at: isoOrNull(row.sales_start_at),
    sales_end_at: isoOrNull(row.sales_end_at),
    available,
    sold_out: available === 0,
    on_sale: row.on_sale,
  };
}

export function toTicketType(row: TicketTypeRow): TicketTypeJson {
  return {
    ...toPublicTicketType(row),
    event_id: row.event_id,
    capacity: row.capacity,
    sold: row.sold,
    held: row.held,
    is_active: row.is_active,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
