/**
 * The periodic sweep: expires pending orders past their hold (the same SQL
 * pg_cron runs), retries refunds the provider did not accept yet and failed
 * webhook rows, refunds the orders of cancelled events in batches, and
 * reconciles payments whose webhooks never came. Sales never depend on it:
 * expired holds stop counting by themselves.
 *
 * Run as a request it answers inside the request's deadline: the steps share
 * the time (sweep_budget.ts), the cheap and money-critical ones first, and the
 * answer says per step what was done and what is still due (`more_to_do`), so
 * the next pass (or an operator) takes it from there.
 */
import type { Sql } from "../../shared/db/mod.ts";
import type { PaymentProvider } from "../../shared/payments/mod.ts";
import { type CancellationStep, runCancellations } from "./cancellation_job.ts";
import { reconcilePayments, reconciliationsDue } from "./reconcile_service.ts";
import { refundsDue, retryPendingRefunds } from "./refund_service.ts";
import { type StepClock, SweepBudget } from "./sweep_budget.ts";
import { notificationsDue, retryDueNotifications } from "./webhook_service.ts";

/** One step of a pass: what it did, what is still due, how long it took. */
export interface SweepStep {
  done: number;
  left: number;
  ms: number;
}

export const SWEEP_STEPS = [
  "expire_holds",
  "refunds",
  "notifications",
  "cancellations",
  "reconciliation",
] as const;

export type SweepStepName = (typeof SWEEP_STEPS)[number];

export interface SweepResult extends Omit<CancellationStep, "cancellations_left"> {
  expired_orders: number;
  notifications_processed: number;
  refunds_requested: number;
  reconciled_orders: number;
  reconciled_payments: number;
  /** Some step left due work (its share of the time ran out, or its batch was full). */
  more_to_do: boolean;
  steps: Record<SweepStepName, SweepStep>;
}

// Provider calls in flight at once per step (each claims or locks its own row).
const WIDTH = 4;

/** One pass of the sweep; safe to run concurrently (rows are claimed or skip-locked). */
export async function runSweep(sql: Sql, provider: PaymentProvider): Promise<SweepResult> {
  const budget = new SweepBudget(SWEEP_STEPS.length);
  const timed = async <T>(
    fn: (clock: StepClock) => Promise<T>,
    left: (result: T) => number | Promise<number>,
    done: (result: T) => number,
  ) => {
    const start = performance.now();
    const result = await budget.run(fn);
    const ms = Math.round(performance.now() - start);
    return { result, step: { done: done(result), left: await left(result), ms } };
  };
  const count = (n: number) => n;

  const expire = await timed(
    async () => {
      const [{ expired }] = await sql<{ expired: number }[]>`
      select public.sweep_expired_orders() as expired`;
      return expired;
    },
    () => expiredHoldsDue(sql),
    count,
  );
  // Money first: refunds owed, then payments whose notification failed.
  const refunds = await timed(
    (clock) => retryPendingRefunds(sql, provider, { width: WIDTH, stop: clock.spent }),
    () => refundsDue(sql, provider),
    count,
  );
  const notifications = await timed(
    (clock) => retryDueNotifications(sql, provider, undefined, { width: WIDTH, stop: clock.spent }),
    () => notificationsDue(sql, provider),
    count,
  );
  const cancellations = await timed(
    (clock) => runCancellations(sql, provider, { stop: clock.spent }),
    (r) => r.cancellations_left,
    (r) => r.cancelled_orders + r.cancellation_refunds,
  );
  // Last: the safety net for lost webhooks, the step with the most provider calls.
  const reconciled = await timed(
    (clock) => reconcilePayments(sql, provider, undefined, { width: WIDTH, stop: clock.spent }),
    () => reconciliationsDue(sql),
    (r) => r.orders_checked,
  );

  const steps: Record<SweepStepName, SweepStep> = {
    expire_holds: expire.step,
    refunds: refunds.step,
    notifications: notifications.step,
    cancellations: cancellations.step,
    reconciliation: reconciled.step,
  };
  const { cancellations_left: _, ...cancellation } = cancellations.result;
  return {
    expired_orders: expire.result,
    notifications_processed: notifications.result,
    reconciled_orders: reconciled.result.orders_checked,
    reconciled_payments: reconciled.result.payments_applied,
    refunds_requested: refunds.result,
    ...cancellation,
    more_to_do: Object.values(steps).some((s) => s.left > 0),
    steps,
  };
}

/** Holds past their time not expired yet (the expiry takes a bounded batch per call). */
async function expiredHoldsDue(sql: Sql): Promise<number> {
  const [{ due }] = await sql<{ due: number }[]>`
    select count(*)::int as due from public.orders
     where status in ('pending', 'awaiting_payment') and expires_at <= now()`;
  return due;
}
