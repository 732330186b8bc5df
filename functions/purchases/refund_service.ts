/**
 * Asking the provider for refunds that were decided in a transaction (see
 * transitions.ts). The decision is durable first, the call comes after
 * commit; a failed call leaves the row pending for the sweep, so money owed
 * back is never forgotten.
 */
import type { Sql } from "../../shared/db/mod.ts";
import { errorFields, log } from "../../shared/log.ts";
import { failureText, type PaymentProvider } from "../../shared/payments/mod.ts";
import {
  countDue,
  drainDue,
  type DrainOptions,
  PROVIDER_RETRY,
  type RetryQueue,
  scheduleRetry,
} from "../../shared/retry_queue.ts";

interface PendingRefund {
  id: string;
  order_id: string;
  provider: string;
  provider_payment_id: string;
  amount: number;
  /** Set for a partial refund (some tickets): then the amount is sent. */
  part: string | null;
}

/** Requests one pending refund from the provider; true when the provider accepted it. */
export async function requestRefund(
  sql: Sql,
  provider: PaymentProvider,
  refundId: string,
): Promise<boolean> {
  const [refund] = await sql<PendingRefund[]>`
    select id, order_id, provider, provider_payment_id, amount, part from public.refunds
     where id = ${refundId} and status = 'pending'`;
  if (!refund || refund.provider !== provider.name) return false;
  try {
    // The refund row's id is the idempotency key: a retry never refunds twice.
    const accepted = await provider.refundPayment(
      refund.provider_payment_id,
      refund.id,
      refund.part === null ? undefined : refund.amount,
    );
    await sql`select public.mark_refund_requested(p_refund_id => ${refund.id},
                                                  p_provider_refund_id => ${accepted.id ?? ""})`;
    return true;
  } catch (error) {
    await scheduleRetry(sql, refundQueue(provider.name), refund.id, failureText(error));
    log.error("refund request failed; will retry", { refund_id: refund.id, ...errorFields(error) });
    return false;
  }
}

// Money owed back is never given up: a refund the provider keeps refusing is retried
// hourly (and logged as an error each time) until it is accepted.
const refundQueue = (providerName: string, reason?: string): RetryQueue => ({
  table: "public.refunds",
  ready: (sql) =>
    sql`status = 'pending' and provider = ${providerName}
        and ${reason === undefined ? sql`true` : sql`reason = ${reason}`}`,
  policy: { ...PROVIDER_RETRY, maxAttempts: Number.POSITIVE_INFINITY },
});

export interface RefundRetryOptions extends DrainOptions {
  /** Refunds per pass (default 20). */
  limit?: number;
  /** Only the refunds of this reason (an event cancellation drains its own). */
  reason?: string;
}

/** Retries refunds whose provider call failed; returns how many the provider accepted. */
export async function retryPendingRefunds(
  sql: Sql,
  provider: PaymentProvider,
  { limit = 20, reason, ...drain }: RefundRetryOptions = {},
): Promise<number> {
  return await drainDue<string>(
    sql,
    refundQueue(provider.name, reason),
    limit,
    (id) => requestRefund(sql, provider, id),
    drain,
  );
}

/** Refunds due for a retry now (those of `reason` only when given). */
export async function refundsDue(
  sql: Sql,
  provider: PaymentProvider,
  reason?: string,
): Promise<number> {
  return await countDue(sql, refundQueue(provider.name, reason));
}
