/**
 * Builders for the purchase domain: ticket types, orders (through the real
 * reserve_tickets), paying and expiring them, signed webhook deliveries.
 */
import type { Db, Sql } from "../../shared/db.ts";
import { withTx } from "../../shared/db.ts";
import { config } from "../../shared/config.ts";
import { signWebhook } from "../../shared/payments/mod.ts";
import { type LockedOrder, markOrderPaid } from "../../functions/purchases/payment_service.ts";
import {
  makeTicketType as baseMakeTicketType,
  type TestUser,
  type TicketTypeOverrides,
} from "./builders.ts";

export type { TicketTypeOverrides, TicketTypeRow } from "./builders.ts";

/** A ticket type with the purchase tests' default price (ARS 1.500,00). */
export const makeTicketType = (sql: Db, eventId: string, overrides: TicketTypeOverrides = {}) =>
  baseMakeTicketType(sql, eventId, { price: 150_000, ...overrides });

export interface OrderRow {
  order_id: string;
  status: string;
  total: number;
  currency: string;
  expires_at: string;
}

export interface MakeOrderOptions {
  buyer: TestUser;
  eventId: string;
  items: Array<{ ticketTypeId: string; quantity: number }>;
  attendees?: Array<{ ticket_type_id: string; name?: string; email?: string }>;
  /** Defaults to 'mercadopago'; 'simulated' for the local checkout. */
  provider?: string;
}

/** A pending order holding its tickets, made by the same SQL the API uses. */
export async function makeOrder(sql: Sql, options: MakeOrderOptions): Promise<OrderRow> {
  const items = options.items.map((i) => ({
    ticket_type_id: i.ticketTypeId,
    quantity: i.quantity,
  }));
  const [{ order }] = await sql<{ order: OrderRow }[]>`
    select public.reserve_tickets(${options.buyer.id}, ${options.buyer.email}, ${options.eventId},
      ${sql.json(items)}, ${sql.json(options.attendees ?? [])}, ${crypto.randomUUID()}, 'builder',
      ${config().HOLD_MINUTES}) as "order"`;
  await sql`update public.orders set payment_provider = ${options.provider ?? "mercadopago"}
             where id = ${order.order_id}`;
  return order;
}

/** Pays an order the way an approved payment does (tickets issued); returns the count. */
export async function payOrder(sql: Sql, orderId: string, paymentId = `${Date.now()}`) {
  return await withTx(sql, async (tx) => {
    const [order] = await tx<LockedOrder[]>`
      select id, buyer_id, status, total, currency::text, payment_provider, provider_payment_id
        from public.orders where id = ${orderId} for update`;
    return await markOrderPaid(tx, order, {
      id: paymentId,
      status: "approved",
      rawStatus: "approved",
      externalReference: orderId,
      amount: order.total,
      currency: order.currency.trim(),
    });
  });
}

/** Moves an order's expiry (and its holds) into the past, as if the buyer walked away. */
export async function expireOrder(sql: Db, orderId: string): Promise<void> {
  await sql`update public.orders set expires_at = now() - interval '1 second'
             where id = ${orderId}`;
  await sql`update public.order_items set held_until = now() - interval '1 second'
             where order_id = ${orderId} and held_until is not null`;
}

export { makeUsers as makeBuyers } from "./builders.ts";

/** The request Mercado Pago would send for a payment notification, correctly signed. */
export async function signedNotification(
  paymentId: number | string,
  options: { notificationId?: number; requestId?: string; secret?: string; ts?: number } = {},
) {
  const requestId = options.requestId ?? crypto.randomUUID();
  const headers = await signWebhook(
    options.secret ?? config().MERCADOPAGO_WEBHOOK_SECRET,
    String(paymentId),
    requestId,
    options.ts,
  );
  return {
    path: `/purchases/webhook?data.id=${paymentId}&type=payment`,
    headers: { ...headers, "content-type": "application/json" },
    body: {
      id: options.notificationId ?? Math.floor(Math.random() * 1e12),
      type: "payment",
      action: "payment.updated",
      api_version: "v1",
      live_mode: false,
      data: { id: String(paymentId) },
    },
  };
}
