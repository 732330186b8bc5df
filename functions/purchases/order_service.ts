/** Reading an order's status for its buyer (or an admin): items, totals, tickets once paid. */
import type { AuthUser } from "../../shared/auth.ts";
import type { Db } from "../../shared/db.ts";
import { DomainError } from "../../shared/errors.ts";

export type OrderState = "pending" | "paid" | "expired" | "failed" | "cancelled" | "refunded";

export interface OrderStatus {
  order_id: string;
  event_id: string;
  status: OrderState;
  total: number;
  currency: string;
  expires_at: string;
  checkout_url: string | null;
  paid_at: string | null;
  created_at: string;
  failure_reason: string | null;
  items: Array<{ ticket_type_id: string; name: string; quantity: number; unit_price: number }>;
  tickets: Array<{
    id: string;
    ticket_type_id: string;
    status: string;
    attendee_name: string | null;
    attendee_email: string | null;
  }>;
}

interface OrderRow {
  id: string;
  buyer_id: string;
  event_id: string;
  status: OrderState;
  total: number;
  currency: string;
  expires_at: Date;
  checkout_url: string | null;
  paid_at: Date | null;
  created_at: Date;
  failure_reason: string | null;
}

/** The order as its owner sees it; anyone else (not admin) gets 404, never 403. */
export async function getOrderStatus(sql: Db, user: AuthUser, orderId: string) {
  const [order] = await sql<OrderRow[]>`
    select id, buyer_id, event_id, status, total, currency::text, expires_at, checkout_url,
           paid_at, created_at, failure_reason
      from public.orders where id = ${orderId}`;
  if (!order || (order.buyer_id !== user.id && !user.isAdmin)) {
    throw new DomainError("order_not_found", "No such order");
  }
  const items = await sql<OrderStatus["items"]>`
    select oi.ticket_type_id, t.name, oi.quantity, oi.unit_price
      from public.order_items oi join public.ticket_types t on t.id = oi.ticket_type_id
     where oi.order_id = ${orderId} order by t.sort_order, t.name`;
  const tickets = await sql<OrderStatus["tickets"]>`
    select id, ticket_type_id, status, attendee_name, attendee_email
      from public.tickets where order_id = ${orderId} order by issue_seq nulls last, id`;
  return {
    order_id: order.id,
    event_id: order.event_id,
    status: order.status,
    total: order.total,
    currency: order.currency.trim(),
    expires_at: order.expires_at.toISOString(),
    checkout_url: order.status === "pending" ? order.checkout_url : null,
    paid_at: order.paid_at?.toISOString() ?? null,
    created_at: order.created_at.toISOString(),
    failure_reason: order.failure_reason,
    items: [...items],
    tickets: [...tickets],
  } satisfies OrderStatus;
}
