/**
 * Builders for the purchase domain: ticket types, orders (through the real
 * reserve_tickets), paying and expiring them, signed webhook deliveries.
 */
import type { Db, Sql } from "../../shared/db/mod.ts";
import { withTx } from "../../shared/db/mod.ts";
import { config } from "../../shared/config.ts";
import { signWebhook } from "../../shared/payments/mod.ts";
import { applyPayment } from "../../functions/purchases/transitions.ts";
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
    select public.reserve_tickets(p_buyer_id => ${options.buyer.id}, p_event_id => ${options.eventId},
      p_items => ${sql.json(items)}, p_idempotency_key => ${crypto.randomUUID()},
      p_request_hash => 'builder', p_hold_minutes => ${config().HOLD_MINUTES},
      p_buyer_email => ${options.buyer.email}, p_attendees => ${sql.json(options.attendees ?? [])}
    ) as "order"`;
  await sql`update public.orders set payment_provider = ${options.provider ?? "mercadopago"}
             where id = ${order.order_id}`;
  return order;
}

/** Pays an order the way an approved payment does (public.pay_order); returns the tickets issued. */
export async function payOrder(sql: Sql, orderId: string, paymentId = `${Date.now()}`) {
  return await withTx(sql, async (tx) => {
    const [order] = await tx<{ total: number; currency: string; payment_provider: string }[]>`
      select total, currency::text, payment_provider from public.orders where id = ${orderId}`;
    const result = await applyPayment(tx, order.payment_provider, {
      id: paymentId,
      status: "approved",
      rawStatus: "approved",
      externalReference: orderId,
      amount: order.total,
      currency: order.currency,
    });
    if (result.outcome !== "paid") return null;
    const [{ n }] = await tx<{ n: number }[]>`
      select count(*)::int as n from public.tickets where order_id = ${orderId}`;
    return n;
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
  options: {
    notificationId?: number;
    requestId?: string;
    secret?: string;
    ts?: number;
    /** `payment` (default), `chargebacks`, `merchant_order`, … */
    topic?: string;
  } = {},
) {
  const topic = options.topic ?? "payment";
  const requestId = options.requestId ?? crypto.randomUUID();
  const headers = await signWebhook(
    options.secret ?? config().MERCADOPAGO_WEBHOOK_SECRET,
    String(paymentId),
    requestId,
    options.ts,
  );
  return {
    path: `/purchases/webhook?data.id=${paymentId}&type=${topic}`,
    headers: { ...headers, "content-type": "application/json" },
    body: {
      id: options.notificationId ?? Math.floor(Math.random() * 1e12),
      type: topic,
      action: `${topic}.updated`,
      api_version: "v1",
      live_mode: false,
      data: { id: String(paymentId) },
    },
  };
}
