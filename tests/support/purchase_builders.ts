/**
 * Builders for the purchase domain: ticket types, orders (through the real
 * reserve_tickets), paying and expiring them, signed webhook deliveries.
 */
import type { Db, Sql } from "../../shared/db.ts";
import { withTx } from "../../shared/db.ts";
import { config } from "../../shared/config.ts";
import type { AppRole } from "../../shared/auth.ts";
import { signWebhook } from "../../shared/payments/mod.ts";
import { type LockedOrder, markOrderPaid } from "../../functions/purchases/payment_service.ts";
import type { TestUser } from "./builders.ts";

export interface TicketTypeRow {
  id: string;
  event_id: string;
  name: string;
  price: number;
  capacity: number;
  sold: number;
  max_per_order: number;
}

export interface TicketTypeOverrides {
  name?: string;
  price?: number;
  capacity?: number;
  maxPerOrder?: number;
  isActive?: boolean;
  /** Hours from now; negative for the past. */
  salesStartInHours?: number;
  salesEndInHours?: number;
}

let counter = 0;

export async function makeTicketType(
  sql: Db,
  eventId: string,
  overrides: TicketTypeOverrides = {},
): Promise<TicketTypeRow> {
  const hours = (h: number | undefined) =>
    h === undefined ? null : new Date(Date.now() + h * 3600_000);
  const [row] = await sql<TicketTypeRow[]>`
    insert into public.ticket_types (event_id, name, price, capacity, max_per_order, is_active,
                                     sales_start_at, sales_end_at)
    values (${eventId}, ${overrides.name ?? `Type ${Date.now().toString(36)}${++counter}`},
            ${overrides.price ?? 150_000}, ${overrides.capacity ?? 100},
            ${overrides.maxPerOrder ?? 10}, ${overrides.isActive ?? true},
            ${hours(overrides.salesStartInHours)}, ${hours(overrides.salesEndInHours)})
    returning id, event_id, name, price, capacity, sold, max_per_order`;
  return row;
}

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

/** Many buyers at once (one statement each table), for load tests. */
export async function makeBuyers(sql: Db, count: number, roles: AppRole[] = ["user"]) {
  const tag = `${Date.now().toString(36)}${++counter}`;
  const users = Array.from({ length: count }, (_, i) => ({
    id: crypto.randomUUID(),
    email: `buyer-${tag}-${i}@test.crodify.local`,
    roles: ["user", ...roles.filter((r) => r !== "user")] as AppRole[],
  }));
  await sql`insert into auth.users ${
    sql(
      users.map((u) => ({ id: u.id, email: u.email, aud: "authenticated", role: "authenticated" })),
    )
  }`;
  await sql`insert into public.user_roles ${
    sql(users.flatMap((u) => u.roles.map((role) => ({ user_id: u.id, role }))))
  }`;
  return users as TestUser[];
}

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
