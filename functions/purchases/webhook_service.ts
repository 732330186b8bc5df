/**
 * The payment webhook inbox: every signed notification is stored once
 * (redeliveries collapse on a UNIQUE key), claimed by one worker, processed by
 * re-reading the payment (or chargeback) from the provider, and left retryable
 * when anything fails. The notification body is never trusted for any state.
 * Topics other than `payment` and `chargebacks` are stored and ignored.
 */
import { assertBeforeDeadline } from "../../shared/deadline.ts";
import { type Db, deadlineCap, retryOnLockTimeout, type Sql, withTx } from "../../shared/db/mod.ts";
import { errorFields, log } from "../../shared/log.ts";
import {
  failureText,
  isValidPaymentId,
  type PaymentProvider,
  type ProviderPayment,
} from "../../shared/payments/mod.ts";
import {
  countDue,
  drainDue,
  type DrainOptions,
  PROVIDER_RETRY,
  type RetryQueue,
  scheduleRetry,
} from "../../shared/retry_queue.ts";
import {
  afterCommit,
  applyPayment,
  call,
  disputePayment,
  paymentTransition,
  type TransitionResult,
} from "./transitions.ts";

// The topics acted on; any other (merchant_order, …) is stored and ignored.
const ACTIONABLE_TOPICS = ["payment", "chargebacks"];

export interface IncomingNotification {
  /** The provider's notification id (redeliveries share it). */
  notificationKey: string;
  topic: string;
  resourceId: string | undefined;
  requestId: string | undefined;
  payload: unknown;
}

export interface ReceiveResult {
  notification_id: number;
  duplicate: boolean;
  state: string;
}

// A row is ready when it was never processed, failed, or its worker died (claim expired).
const readyFor = (providerName?: string) => (sql: Db) =>
  sql`(state in ('received', 'failed') or (state = 'processing' and locked_until < now()))
      ${providerName ? sql`and provider = ${providerName}` : sql``}`;
// After PROVIDER_RETRY's 12 failed attempts a row stops being retried (dead) for a person.
const NOTIFICATION_QUEUE: RetryQueue = {
  table: "public.payment_notifications",
  ready: readyFor(),
  policy: PROVIDER_RETRY,
};
// A claim outlives a slow provider call (5 s timeout, one retry) with room to spare;
// a worker that died mid-way loses its claim after this and another one retries.
const CLAIM_SECONDS = 60;
// Per try of the payment's transaction; three tries and their backoff stay well inside
// the request deadline.
const PAYMENT_LOCK_TIMEOUT_MS = 2000;

/** Stores the notification (or finds its earlier delivery) and processes it now. */
export async function receiveNotification(
  sql: Sql,
  provider: PaymentProvider,
  incoming: IncomingNotification,
): Promise<ReceiveResult> {
  const actionable = ACTIONABLE_TOPICS.includes(incoming.topic) &&
    incoming.resourceId !== undefined && isValidPaymentId(incoming.resourceId);
  const [inserted] = await sql<{ id: number }[]>`
    insert into public.payment_notifications
      (provider, notification_key, topic, resource_id, request_id, payload, state)
    values (${provider.name}, ${incoming.notificationKey}, ${incoming.topic},
            ${incoming.resourceId ?? null}, ${incoming.requestId ?? null},
            ${sql.json(incoming.payload as Parameters<typeof sql.json>[0])},
            ${actionable ? "received" : "ignored"})
    on conflict (provider, notification_key) do nothing
    returning id`;
  const id = inserted?.id ?? (await sql<{ id: number }[]>`
    select id from public.payment_notifications
     where provider = ${provider.name} and notification_key = ${incoming.notificationKey}`)[0].id;
  // A redelivery of a row that failed earlier is a good moment to retry it.
  const state = await processNotification(sql, provider, id);
  return { notification_id: Number(id), duplicate: !inserted, state };
}

/** Claims one inbox row and applies its payment; returns the row's state afterwards. */
export async function processNotification(
  sql: Sql,
  provider: PaymentProvider,
  id: number,
): Promise<string> {
  const [claimed] = await sql<Claimed[]>`
    update public.payment_notifications
       set state = 'processing', attempts = attempts + 1,
           locked_until = now() + make_interval(secs => ${CLAIM_SECONDS})
     where id = ${id}
       and (state in ('received', 'failed')
            or (state = 'processing' and locked_until < now()))
    returning topic, resource_id, attempts`;
  if (!claimed) return await stateOf(sql, id);
  try {
    const applied = await readAndApply(sql, provider, id, claimed);
    for (const result of applied) await afterCommit(sql, provider, result);
    return applied.every((r) => r.outcome === "unknown_order") ? "ignored" : "processed";
  } catch (error) {
    return await markFailed(sql, id, claimed.attempts, error);
  }
}

interface Claimed {
  topic: string;
  resource_id: string;
  attempts: number;
}

/**
 * Re-reads what the notification is about and applies it in one transaction
 * with the inbox row's outcome, so a row is processed exactly when its change commits.
 */
async function readAndApply(
  sql: Sql,
  provider: PaymentProvider,
  id: number,
  claimed: Claimed,
): Promise<TransitionResult[]> {
  const chargeback = claimed.topic === "chargebacks"
    ? await provider.getChargeback(claimed.resource_id)
    : undefined;
  const paymentIds = chargeback
    ? chargeback.paymentIds.filter(isValidPaymentId)
    : [claimed.resource_id];
  const payments: ProviderPayment[] = [];
  for (const paymentId of paymentIds) payments.push(await provider.getPayment(paymentId));
  const transition = !chargeback && payments.length === 1 &&
    paymentTransition(sql, provider.name, payments[0]);
  // A lock lost to a concurrent notification is retried here, in-request (short waits,
  // jittered); only what still fails is left to the sweep.
  if (transition) {
    return [
      await retryOnLockTimeout(() => applyInOneStatement(sql, provider.name, id, payments[0])),
    ];
  }
  return await retryOnLockTimeout(() =>
    withTx(sql, async (tx) => {
      const results: TransitionResult[] = [];
      for (const payment of payments) {
        results.push(
          chargeback
            ? await disputePayment(tx, provider.name, payment, chargeback)
            : await applyPayment(tx, provider.name, payment),
        );
      }
      const known = results.find((r) => r.outcome !== "unknown_order");
      await tx`update public.payment_notifications
                set state = ${known ? "processed" : "ignored"},
                    processed_at = now(), locked_until = null, last_error = null,
                    order_id = ${known?.order_id ?? null},
                    payment_status = ${payments[0]?.rawStatus ?? null}
              where id = ${id}`;
      return results;
    }, { lockTimeoutMs: PAYMENT_LOCK_TIMEOUT_MS })
  );
}

/**
 * The common case — one payment that moves its order — as one statement, its
 * own transaction: the transition and the inbox row's outcome. The order's and
 * the ticket type's row locks are then held only while PostgreSQL works, never
 * across a round trip to this process; with three round trips under the lock
 * (the transition, the inbox update, COMMIT) a loaded event loop made every
 * notification of the same ticket type wait for the slowest.
 */
async function applyInOneStatement(
  sql: Sql,
  provider: string,
  id: number,
  payment: ProviderPayment,
): Promise<TransitionResult> {
  assertBeforeDeadline();
  const transition = paymentTransition(sql, provider, payment)!;
  // `from settings` makes the transition run after lock_timeout is set (for this
  // statement's transaction only). The statement itself is bounded by the
  // connection's statement_timeout (DB_STATEMENT_TIMEOUT_MS).
  return await call(sql<{ result: TransitionResult }[]>`
    with settings as (
      select set_config('lock_timeout', ${`${deadlineCap(PAYMENT_LOCK_TIMEOUT_MS)}ms`}, true)
    ), applied as (
      select ${transition} as result from settings
    )
    update public.payment_notifications n
       set state = case when applied.result ->> 'outcome' = 'unknown_order'
                        then 'ignored' else 'processed' end,
           processed_at = now(), locked_until = null, last_error = null,
           order_id = (applied.result ->> 'order_id')::uuid,
           payment_status = ${payment.rawStatus}
      from applied
     where n.id = ${id}
    returning applied.result`);
}

async function markFailed(sql: Sql, id: number, attempts: number, error: unknown) {
  await sql`update public.payment_notifications set state = 'failed', locked_until = null
             where id = ${id}`;
  // The claim counted the attempt; after MAX_ATTEMPTS the row is left for a person.
  const spent = await scheduleRetry(sql, NOTIFICATION_QUEUE, id, failureText(error), {
    counted: true,
  });
  const state = spent ? "dead" : "failed";
  if (spent) await sql`update public.payment_notifications set state = 'dead' where id = ${id}`;
  log[spent ? "error" : "warn"]("payment notification failed", {
    notification_id: id,
    attempts,
    state,
    ...errorFields(error),
  });
  return state;
}

async function stateOf(sql: Sql, id: number): Promise<string> {
  const [row] = await sql<{ state: string }[]>`
    select state from public.payment_notifications where id = ${id}`;
  return row?.state ?? "unknown";
}

/** Retries inbox rows that failed or whose worker died; returns how many were processed. */
export async function retryDueNotifications(
  sql: Sql,
  provider: PaymentProvider,
  limit = 50,
  drain: DrainOptions = {},
): Promise<number> {
  return await drainDue<number>(
    sql,
    notificationQueue(provider),
    limit,
    async (id) => await processNotification(sql, provider, id) === "processed",
    drain,
  );
}

/** Inbox rows due for a retry now. */
export async function notificationsDue(sql: Sql, provider: PaymentProvider): Promise<number> {
  return await countDue(sql, notificationQueue(provider));
}

const notificationQueue = (provider: PaymentProvider): RetryQueue => ({
  ...NOTIFICATION_QUEUE,
  ready: readyFor(provider.name),
});
