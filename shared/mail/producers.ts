/**
 * The mails other domains queue, each inside the caller's transaction and
 * keyed by its cause, so a retried webhook or a replayed request never
 * queues a second copy. Each is one SQL statement that loads what the
 * template shows, so the mail reflects the state at the moment of the change;
 * the order mails are SQL functions the order transitions call themselves,
 * and an event's cancellation notices are queued by its cancellation (SQL).
 */
import type { Db } from "../db/mod.ts";
import { log } from "../log.ts";

export interface QueueResult {
  id?: string;
  queued: boolean;
  /** Why nothing was queued (no recipient, no tickets); the caller's change still commits. */
  skipped?: string;
}

function logged(kind: string, orderId: string, result: QueueResult): QueueResult {
  if (result.skipped) {
    log.warn("email not queued", { kind, order_id: orderId, reason: result.skipped });
  }
  return result;
}

/**
 * Queues the paid order's confirmation with its valid tickets (SQL:
 * public.queue_order_confirmation, which pay_order calls itself).
 */
export async function queueOrderConfirmation(tx: Db, orderId: string): Promise<QueueResult> {
  const [{ result }] = await tx<{ result: QueueResult }[]>`
    select public.queue_order_confirmation(p_order_id => ${orderId}) as result`;
  return logged("order_confirmation", orderId, result);
}

/** Queues the refund notice of an order, its whole total (SQL: public.queue_refund_notice). */
export async function queueRefundNotice(tx: Db, orderId: string): Promise<QueueResult> {
  const [{ result }] = await tx<{ result: QueueResult }[]>`
    select public.queue_refund_notice(p_order_id => ${orderId}) as result`;
  return logged("refund_notice", orderId, result);
}
