/**
 * The event cancellation job, one step of the sweep. A cancellation (see
 * supabase/migrations/*_event_cancellation.sql) leaves one job row per paid
 * order; each pass takes a bounded batch of due rows and, per order, runs the
 * transition public.refund_cancelled_order (order refunded, refund decided,
 * committed) and then asks Mercado Pago for that refund with the refund row's
 * id as idempotency key. A crash anywhere loses nothing and doubles nothing:
 * an undecided row is still due, a decided refund still pending is retried
 * with the same key (Mercado Pago answers the refund it already made).
 */
import type { Sql } from "../../shared/db/mod.ts";
import { errorFields, log } from "../../shared/log.ts";
import { failureText, type PaymentProvider } from "../../shared/payments/mod.ts";
import { eachConcurrently } from "../../shared/concurrency.ts";
import { countDue, dueIds, type RetryQueue, scheduleRetry } from "../../shared/retry_queue.ts";
import { refundsDue, requestRefund, retryPendingRefunds } from "./refund_service.ts";
import { call, type TransitionResult } from "./transitions.ts";

export interface CancellationStep {
  /** Pending orders of cancelled events cancelled in this pass (late reservations). */
  cancelled_orders: number;
  /** Orders refunded by this pass (decided; the provider asked). */
  cancellation_refunds: number;
  cancellations_finished: number;
  /** Job rows and cancellation refunds still due after this pass (more to do). */
  cancellations_left: number;
}

export interface CancellationOptions {
  /** Job rows per pass: a pass stays well inside a scheduler call's time. */
  batch?: number;
  /** Orders in flight at once (each waits on one provider call). */
  concurrency?: number;
  /** True once the pass should start no new order (its time is spent). */
  stop?: () => boolean;
}

// 200 orders at 8 in flight: about 10 s per pass at Mercado Pago's ~0.4 s per refund when
// time allows; run by the sweep, a pass also stops at its share of the request's deadline
// (sweep_budget.ts): the rest stay due for the next pass, never cut off mid-order.
const BATCH = 200;
const CONCURRENCY = 8;

// A failed decision is a database error (a lock timeout, a restart): soon again, never given
// up. Provider failures are the refund queue's (refund_service.ts).
const REASON = "event_cancelled";

const JOB: RetryQueue = {
  table: "public.event_cancellation_orders",
  key: "order_id",
  ready: (sql) => sql`status = 'pending'`,
  policy: { baseMs: 5_000, maxMs: 10 * 60_000, maxAttempts: Number.POSITIVE_INFINITY },
};

/** One pass over every running cancellation. Safe to run concurrently with itself. */
export async function runCancellations(
  sql: Sql,
  provider: PaymentProvider,
  { batch = BATCH, concurrency = CONCURRENCY, stop }: CancellationOptions = {},
): Promise<CancellationStep> {
  const cancelled = await cancelLatePendingOrders(sql, batch);
  let refunded = 0;
  const due = await dueIds<string>(sql, JOB, batch);
  await eachConcurrently(due, concurrency, async (orderId) => {
    if (await refundCancelledOrder(sql, provider, orderId)) refunded++;
  }, stop);
  // Refunds whose first ask failed (or whose worker died mid-call), in batches of this job's size.
  const drain = { limit: batch, reason: REASON, width: concurrency, stop };
  await retryPendingRefunds(sql, provider, drain);
  const [{ finished }] = await sql<{ finished: number }[]>`
    select public.finish_event_cancellations() as finished`;
  return {
    cancelled_orders: cancelled,
    cancellation_refunds: refunded,
    cancellations_finished: finished,
    cancellations_left: await countDue(sql, JOB) + await refundsDue(sql, provider, REASON),
  };
}

/**
 * A reservation racing the cancellation can still commit a pending order just
 * after it (even after a cancellation with nothing to refund is done); each
 * is cancelled here, one statement per order (no transaction holds two
 * orders' locks).
 */
async function cancelLatePendingOrders(sql: Sql, limit: number): Promise<number> {
  const late = await sql<{ id: string }[]>`
    select o.id from public.event_cancellations c
      join public.orders o on o.event_id = c.event_id
     where o.status::text in (select from_status from public.order_transitions
                               where to_status = 'cancelled')
     limit ${limit}`;
  let cancelled = 0;
  for (const { id } of late) {
    const result = await call(sql<{ result: TransitionResult }[]>`
      select public.cancel_order(p_order_id => ${id}) as result`);
    if (result.outcome === "cancelled") cancelled++;
  }
  return cancelled;
}

/** Decides one order's refund and asks the provider for it; true when this call refunded it. */
async function refundCancelledOrder(
  sql: Sql,
  provider: PaymentProvider,
  orderId: string,
): Promise<boolean> {
  let result: TransitionResult;
  try {
    result = await call(sql<{ result: TransitionResult }[]>`
      select public.refund_cancelled_order(p_order_id => ${orderId}) as result`);
  } catch (error) {
    await scheduleRetry(sql, JOB, orderId, failureText(error));
    log.warn("cancellation refund not decided; will retry", {
      order_id: orderId,
      ...errorFields(error),
    });
    return false;
  }
  // Committed: a failure from here on leaves the refund pending for the refund queue.
  for (const refundId of result.refund_ids) await requestRefund(sql, provider, refundId);
  return result.outcome === "refunded";
}
