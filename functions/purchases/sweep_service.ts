/**
 * The periodic sweep: expires pending orders past their hold (the same SQL
 * pg_cron runs), retries failed webhook rows and refunds the provider did not
 * accept yet, reconciles payments whose webhooks never came, and refunds the
 * orders of cancelled events in batches. Sales never depend on it: expired
 * holds stop counting by themselves.
 */
import type { Sql } from "../../shared/db/mod.ts";
import type { PaymentProvider } from "../../shared/payments/mod.ts";
import { type CancellationStep, runCancellations } from "./cancellation_job.ts";
import { reconcilePayments } from "./reconcile_service.ts";
import { retryPendingRefunds } from "./refund_service.ts";
import { retryDueNotifications } from "./webhook_service.ts";

export interface SweepResult extends CancellationStep {
  expired_orders: number;
  notifications_processed: number;
  refunds_requested: number;
  reconciled_orders: number;
  reconciled_payments: number;
}

/** One pass of the sweep; safe to run concurrently (rows are claimed or skip-locked). */
export async function runSweep(sql: Sql, provider: PaymentProvider): Promise<SweepResult> {
  const [{ expired }] = await sql<{ expired: number }[]>`
    select public.sweep_expired_orders() as expired`;
  const notifications = await retryDueNotifications(sql, provider);
  // After the inbox retries, before the refunds: a reconciled payment may decide a refund.
  const reconciled = await reconcilePayments(sql, provider);
  return {
    expired_orders: expired,
    notifications_processed: notifications,
    reconciled_orders: reconciled.orders_checked,
    reconciled_payments: reconciled.payments_applied,
    refunds_requested: await retryPendingRefunds(sql, provider),
    ...await runCancellations(sql, provider),
  };
}
