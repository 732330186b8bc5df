/** Reading an order's status for its buyer (or an admin): items, totals, tickets once paid. */
import type { AuthUser } from "../../shared/auth.ts";
import type { Db } from "../../shared/db/mod.ts";
import { DomainError } from "../../shared/errors.ts";

export type OrderState =
  | "pending"
  | "awaiting_payment"
  | "paid"
  | "expired"
  | "failed"
  | "cancelled"
  | "refunded"
  | "disputed";

export interface OrderStatus {
  order_id: string;
  event_id: string;
  status: OrderState;
  total: number;
  currency: string;
  expires_at: string;
  checkout_url: string | null;
  slow_payment_deadline: string | null;
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
  slow_payment_deadline: Date | null;
  paid_at: Date | null;
  created_at: Date;
  failure_reason: string | null;
}

/** The order as its owner sees it; anyone else (not admin) gets 404, never 403. */
export async function getOrderStatus(sql: Db, user: AuthUser, orderId: string) {
  const [order] = await sql<OrderRow[]>`
    select id, buyer_id, event_id, status, total, currency::text, expires_at, checkout_url,
           slow_payment_deadline, paid_at, created_at, failure_reason
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
    currency: order.currency,
    expires_at: order.expires_at.toISOString(),
    // Awaiting payment, the buyer pays the voucher they already have: no checkout again.
    checkout_url: order.status === "pending" ? order.checkout_url : null,
    slow_payment_deadline: order.slow_payment_deadline?.toISOString() ?? null,
    paid_at: order.paid_at?.toISOString() ?? null,
    created_at: order.created_at.toISOString(),
    failure_reason: order.failure_reason,
    items: [...items],
    tickets: [...tickets],
  } satisfies OrderStatus;
}

export interface AdminRefund {
  order_id: string;
  status: "refunded";
  tickets_revoked: number;
  /** The money going back (null only for an order refunded before refunds were recorded). */
  refund: {
    id: string;
    status: "pending" | "requested" | "succeeded";
    amount: number;
    currency: string;
    reason: string;
  } | null;
  /** True when the order was refunded already (by an earlier call, or by the provider). */
  replayed: boolean;
}

/** A refunded order's revoked tickets and the refund of its own payment. */
export async function refundOf(sql: Db, orderId: string): Promise<Omit<AdminRefund, "replayed">> {
  const [row] = await sql<{ tickets_revoked: number }[]>`
    select count(*)::int as tickets_revoked from public.tickets
     where order_id = ${orderId} and status = 'revoked'`;
  // The order's own payment's whole refund (a duplicate payment's refund, or a partial
  // refund of some tickets, is another matter).
  const [refund] = await sql<NonNullable<AdminRefund["refund"]>[]>`
    select r.id, r.status, r.amount, r.currency::text, r.reason
      from public.refunds r join public.orders o
        on o.id = r.order_id and o.payment_provider = r.provider
       and o.provider_payment_id = r.provider_payment_id
     where r.order_id = ${orderId} and r.part is null`;
  return {
    order_id: orderId,
    status: "refunded",
    tickets_revoked: row.tickets_revoked,
    refund: refund ?? null,
  };
}
