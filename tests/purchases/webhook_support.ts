/** Shared steps of the webhook tests: an order waiting for payment, and deliveries. */
import type { App } from "../../shared/http.ts";
import type { Sql } from "../../shared/db/mod.ts";
import { makeUser } from "../support/builders.ts";
import { makeOrder, signedNotification } from "../support/purchase_builders.ts";
import type { FakeMercadoPago } from "../support/fake_mercadopago.ts";
import { eventOnSale } from "./env.ts";

/** A pending order for `quantity` tickets and an approved-able payment for it on the fake. */
export async function orderAwaitingPayment(
  sql: Sql,
  fake: FakeMercadoPago,
  { quantity = 2, capacity = 10, price = 100_000 } = {},
) {
  const { event, ticketType } = await eventOnSale(sql, { capacity, price });
  const buyer = await makeUser(sql);
  const order = await makeOrder(sql, {
    buyer,
    eventId: event.id,
    items: [{ ticketTypeId: ticketType.id, quantity }],
  });
  const paymentId = fake.addPayment({
    status: "pending",
    external_reference: order.order_id,
    transaction_amount: order.total / 100,
    currency_id: "ARS",
  });
  return { event, ticketType, buyer, order, paymentId };
}

export async function deliver(
  app: App,
  paymentId: number | string,
  options: Parameters<typeof signedNotification>[1] = {},
) {
  const n = await signedNotification(paymentId, options);
  const response = await app.request(n.path, {
    method: "POST",
    headers: n.headers,
    body: JSON.stringify(n.body),
  });
  return { status: response.status, body: await response.json() };
}

/** orderState of a two-ticket order once paid: both tickets valid and sold. */
export const PAID_TWO = { status: "paid", valid: 2, revoked: 0, sold: 2, held: 0 };
/** orderState of a paid two-ticket order once refunded: both revoked, their places back. */
export const REFUNDED_TWO = { status: "refunded", valid: 0, revoked: 2, sold: 0, held: 0 };

export async function orderState(sql: Sql, orderId: string, ticketTypeId: string) {
  const [row] = await sql<
    { status: string; valid: number; revoked: number; sold: number; held: number }[]
  >`
    select o.status,
           (select count(*)::int from public.tickets t
             where t.order_id = o.id and t.status = 'valid') as valid,
           (select count(*)::int from public.tickets t
             where t.order_id = o.id and t.status = 'revoked') as revoked,
           (select sold from public.ticket_types where id = ${ticketTypeId}) as sold,
           public.ticket_type_held(${ticketTypeId}) as held
      from public.orders o where o.id = ${orderId}`;
  return row;
}
