/**
 * Reconciliation: webhooks get lost (a wrong notification URL, an outage
 * longer than Mercado Pago's ~4 days of retries). Each sweep pass asks
 * Mercado Pago for the payments of every order that may have one we never
 * heard of, and feeds each payment into the webhook inbox as a notification:
 * the same processing (re-read, order row lock, forward-only states), the same
 * exactly-once rules. A payment whose status we already took in is a duplicate
 * inbox key and changes nothing.
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
import { receiveNotification } from "./webhook_service.ts";

export interface ReconcileResult {
  orders_checked: number;
  payments_applied: number;
}

// Orders expired or failed this recently may still receive a late payment (cash vouchers
// settle days later; Mercado Pago retries webhooks for about 4 days): a week covers both.
const WINDOW_DAYS = 7;
// An order found without news is asked about again after this long; webhooks remain the
// fast path, this is the safety net.
const RECHECK_MINUTES = 10;
// A pass takes one claimed row at a time; a worker that died mid-search loses it after this.
const CLAIM_SECONDS = 60;

const QUEUE: RetryQueue = {
  table: "public.payment_reconciliations",
  key: "order_id",
  ready: (sql) => sql`true`,
  policy: { ...PROVIDER_RETRY, maxAttempts: Number.POSITIVE_INFINITY },
};

/** One reconciliation pass: queue the orders worth asking about, then ask for the due ones. */
export async function reconcilePayments(
  sql: Sql,
  provider: PaymentProvider,
  limit = 500,
  drain: DrainOptions = {},
): Promise<ReconcileResult> {
  await refreshQueue(sql, provider.name);
  let applied = 0;
  const checked = await drainDue<string>(sql, QUEUE, limit, async (orderId) => {
    const found = await reconcileOrder(sql, provider, orderId);
    if (found === undefined) return false;
    applied += found;
    return true;
  }, drain);
  return { orders_checked: checked, payments_applied: applied };
}

/** Orders due to be asked about now. */
export async function reconciliationsDue(sql: Sql): Promise<number> {
  return await countDue(sql, QUEUE);
}

// Orders that may have a payment we never heard of.
const mayHaveUnseenPayment = (sql: Sql) =>
  sql`(o.status in ('pending', 'awaiting_payment')
       or (o.status in ('expired', 'failed')
           and o.expires_at > now() - make_interval(days => ${WINDOW_DAYS}))
       or (o.status = 'paid' and o.provider_payment_id is null))`;

/** Adds the orders that may have an unheard-of payment, drops those that no longer may. */
async function refreshQueue(sql: Sql, providerName: string): Promise<void> {
  await sql`
    insert into public.payment_reconciliations (order_id)
    select o.id from public.orders o
     where o.payment_provider = ${providerName} and ${mayHaveUnseenPayment(sql)}
    on conflict (order_id) do nothing`;
  await sql`
    delete from public.payment_reconciliations r using public.orders o
     where o.id = r.order_id and not ${mayHaveUnseenPayment(sql)}`;
}

/**
 * Searches one order's payments and applies each through the inbox. Returns
 * how many were new to us, or undefined when the row was not claimed or the
 * search failed (then retried with the queue's backoff).
 */
async function reconcileOrder(
  sql: Sql,
  provider: PaymentProvider,
  orderId: string,
): Promise<number | undefined> {
  const claimed = await sql`
    update public.payment_reconciliations
       set next_attempt_at = now() + make_interval(secs => ${CLAIM_SECONDS})
     where order_id = ${orderId} and next_attempt_at <= now()
    returning order_id`;
  if (claimed.length === 0) return undefined;
  try {
    const payments = await provider.searchPayments(orderId);
    let applied = 0;
    for (const payment of payments) {
      // One inbox key per payment and status: a status already taken in is a duplicate.
      const received = await receiveNotification(sql, provider, {
        notificationKey: `reconcile:${payment.id}:${payment.rawStatus}`,
        topic: "payment",
        resourceId: payment.id,
        requestId: undefined,
        payload: { source: "reconciliation", order_id: orderId, status: payment.rawStatus },
      });
      if (!received.duplicate) applied++;
    }
    await sql`
      update public.payment_reconciliations
         set attempts = 0, last_error = null, checked_at = now(), payments_found = ${payments.length},
             next_attempt_at = now() + make_interval(mins => ${RECHECK_MINUTES})
       where order_id = ${orderId}`;
    return applied;
  } catch (error) {
    await scheduleRetry(sql, QUEUE, orderId, failureText(error));
    log.warn("payment reconciliation failed; will retry", {
      order_id: orderId,
      ...errorFields(error),
    });
    return undefined;
  }
}
