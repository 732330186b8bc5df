/**
 * The simulated checkout (local development only): records a payment with
 * the simulated provider and builds the signed notification Mercado Pago
 * would send, which the route posts to the real webhook.
 */
import { config } from "../../shared/config.ts";
import type { Db } from "../../shared/db/mod.ts";
import { DomainError } from "../../shared/errors.ts";
import {
  createSimulatedPayment,
  refundSimulatedPaymentOf,
  signWebhook,
} from "../../shared/payments/mod.ts";

/** pending: a cash voucher printed and not paid yet (the event's slow-payment policy decides). */
export type SimulatedOutcome = "approved" | "rejected" | "pending" | "refunded";

export interface SimulatedNotification {
  payment_id: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface SimulatableOrder {
  id: string;
  status: string;
  total: number;
  currency: string;
}

export async function findSimulatableOrder(sql: Db, orderId: string): Promise<SimulatableOrder> {
  const [order] = await sql<SimulatableOrder[]>`
    select id, status, total, currency::text from public.orders
     where id = ${orderId} and payment_provider = 'simulated'`;
  if (!order) throw new DomainError("order_not_found", "No such order");
  return order;
}

/** Pays, rejects or refunds the order at the simulated provider; returns the notification. */
export async function simulatePayment(
  sql: Db,
  orderId: string,
  outcome: SimulatedOutcome,
): Promise<SimulatedNotification> {
  const order = await findSimulatableOrder(sql, orderId);
  let paymentId: string | undefined;
  if (outcome === "refunded") {
    paymentId = await refundSimulatedPaymentOf(order.id);
    if (!paymentId) {
      throw new DomainError("order_not_paid", "The order has no approved payment", undefined, 409);
    }
  } else {
    paymentId = (await createSimulatedPayment(order.id, outcome, order.total, order.currency)).id;
  }
  const requestId = crypto.randomUUID();
  return {
    payment_id: paymentId,
    path: `/purchases/webhook?data.id=${paymentId}&type=payment`,
    headers: {
      "content-type": "application/json",
      ...(await signWebhook(config().MERCADOPAGO_WEBHOOK_SECRET, paymentId, requestId)),
    },
    body: {
      id: Number(`${Date.now()}${Math.floor(Math.random() * 1000)}`),
      live_mode: false,
      type: "payment",
      date_created: new Date().toISOString(),
      action: outcome !== "refunded" ? "payment.created" : "payment.updated",
      api_version: "v1",
      data: { id: paymentId },
    },
  };
}
