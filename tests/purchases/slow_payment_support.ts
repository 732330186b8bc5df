/** Shared steps of the slow-payment tests: an event with a policy, a checkout, notifications. */
import assert from "node:assert/strict";
import type { App } from "../../shared/http.ts";
import type { Sql } from "../../shared/db/mod.ts";
import type { TicketTypeOverrides } from "../support/purchase_builders.ts";
import { deliver } from "./webhook_support.ts";
import { eventOnSale } from "./env.ts";

export interface SlowEventOptions {
  policy?: "excluded" | "hold";
  days?: number;
  startsInHours?: number;
  type?: TicketTypeOverrides;
}

/** A published event on sale with the slow-payment policy set (default: hold, 3 days). */
export async function slowEvent(sql: Sql, options: SlowEventOptions = {}) {
  const sale = await eventOnSale(sql, { capacity: 10, ...options.type }, {
    startsInHours: options.startsInHours ?? 24 * 14,
  });
  await sql`update public.events
               set slow_payments = ${options.policy ?? "hold"},
                   slow_payment_days = ${options.days ?? 3}
             where id = ${sale.event.id}`;
  return sale;
}

/** Delivers Mercado Pago's notification of a payment to the purchases app (signed). */
export const notifier = (app: App) => async (paymentId: number) => {
  const delivered = await deliver(app, paymentId);
  if (delivered.status !== 200) {
    throw new Error(`webhook answered ${delivered.status}: ${JSON.stringify(delivered.body)}`);
  }
  return delivered.body;
};

const HOUR = 3_600_000;

/** How far apart two instants are, in hours (one decimal). */
export const hoursBetween = (from: string | Date, to: string | Date) =>
  Math.round((new Date(to).getTime() - new Date(from).getTime()) / HOUR * 10) / 10;

/** Runs the sweep as pg_cron does (expiry, inbox retries, reconciliation, refunds). */
export async function sweep(app: App) {
  const res = await app.request("/purchases/sweep", {
    method: "POST",
    headers: { "x-scheduler-secret": "crodify-dev-scheduler-secret" },
  });
  assert.equal(res.status, 200);
  return await res.json();
}
