/**
 * The payment webhook inbox: every signed notification is stored once
 * (redeliveries collapse on a UNIQUE key), claimed by one worker, processed by
 * re-reading the payment from the provider, and left retryable when anything
 * fails. The notification body is never trusted for the payment's state.
 */
import { type Db, type Sql, withTx } from "../../shared/db.ts";
import { errorFields, log } from "../../shared/log.ts";
import { failureText, isValidPaymentId, type PaymentProvider } from "../../shared/payments/mod.ts";
import {
  drainDue,
  PROVIDER_RETRY,
  type RetryQueue,
  scheduleRetry,
} from "../../shared/retry_queue.ts";
import { afterCommit, applyPayment } from "./transitions.ts";

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

/** Stores the notification (or finds its earlier delivery) and processes it now. */
export async function receiveNotification(
  sql: Sql,
  provider: PaymentProvider,
  incoming: IncomingNotification,
): Promise<ReceiveResult> {
  const actionable = incoming.topic === "payment" && incoming.resourceId !== undefined &&
    isValidPaymentId(incoming.resourceId);
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
  const [claimed] = await sql<{ resource_id: string; attempts: number }[]>`
    update public.payment_notifications
       set state = 'processing', attempts = attempts + 1,
           locked_until = now() + make_interval(secs => ${CLAIM_SECONDS})
     where id = ${id}
       and (state in ('received', 'failed')
            or (state = 'processing' and locked_until < now()))
    returning resource_id, attempts`;
  if (!claimed) return await stateOf(sql, id);
  try {
    const payment = await provider.getPayment(claimed.resource_id);
    const applied = await withTx(sql, async (tx) => {
      const outcome = await applyPayment(tx, provider.name, payment);
      await tx`update public.payment_notifications
                  set state = ${outcome.outcome === "unknown_order" ? "ignored" : "processed"},
                      processed_at = now(), locked_until = null, last_error = null,
                      order_id = ${outcome.order_id}, payment_status = ${payment.rawStatus}
                where id = ${id}`;
      return outcome;
    });
    await afterCommit(sql, provider, applied);
    return applied.outcome === "unknown_order" ? "ignored" : "processed";
  } catch (error) {
    return await markFailed(sql, id, claimed.attempts, error);
  }
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
): Promise<number> {
  const queue = { ...NOTIFICATION_QUEUE, ready: readyFor(provider.name) };
  return await drainDue<number>(
    sql,
    queue,
    limit,
    async (id) => await processNotification(sql, provider, id) === "processed",
  );
}
