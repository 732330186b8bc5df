/**
 * Applying a payment's authoritative state (re-read from the provider) to
 * its order, under the order's row lock. States only move forward: pending →
 * paid/failed/expired → refunded; an older status arriving late changes
 * nothing, and tickets are issued at most once (also guarded by a UNIQUE).
 */
import { audit } from "../../shared/audit.ts";
import type { Tx } from "../../shared/db.ts";
import type { ProviderPayment } from "../../shared/payments/mod.ts";
import { queueOrderConfirmation, queueRefundNotice } from "../../shared/mail/producers.ts";

export interface LockedOrder {
  id: string;
  buyer_id: string;
  status: "pending" | "paid" | "expired" | "failed" | "cancelled" | "refunded";
  total: number;
  currency: string;
  payment_provider: string;
  provider_payment_id: string | null;
}

export type Outcome = "paid" | "failed" | "refunded" | "refund_requested" | "unchanged";

export interface ApplyResult {
  orderId: string | undefined;
  outcome: Outcome | "unknown_order";
  /** Refund rows decided here; the caller asks the provider after commit. */
  refundIds: string[];
  /** Ticket types whose holds were released (their sold-out flags may go). */
  releasedTypes: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Locks the payment's order and moves it forward according to the payment. */
export async function applyPayment(
  tx: Tx,
  provider: string,
  payment: ProviderPayment,
): Promise<ApplyResult> {
  const orderId = payment.externalReference;
  if (!orderId || !UUID.test(orderId)) return result(undefined, "unknown_order");
  // The order's row lock serialises every notification about it: exactly one applies.
  const [order] = await tx<LockedOrder[]>`
    select id, buyer_id, status, total, currency::text, payment_provider, provider_payment_id
      from public.orders where id = ${orderId} for update`;
  if (!order || order.payment_provider !== provider) return result(undefined, "unknown_order");
  order.currency = order.currency.trim();
  switch (payment.status) {
    case "approved":
      return await applyApproved(tx, order, payment);
    case "rejected":
    case "cancelled":
      return await applyRejected(tx, order, payment);
    case "refunded":
    case "charged_back":
      return await applyRefunded(tx, order, payment);
    default:
      return result(order.id, "unchanged");
  }
}

function result(
  orderId: string | undefined,
  outcome: ApplyResult["outcome"],
  extra: Partial<ApplyResult> = {},
): ApplyResult {
  return { orderId, outcome, refundIds: [], releasedTypes: [], ...extra };
}

async function applyApproved(tx: Tx, order: LockedOrder, payment: ProviderPayment) {
  // A payment already refunded (we asked, or Mercado Pago told us) never pays an order,
  // however late its "approved" notification comes.
  if (await hasRefund(tx, order, payment)) return result(order.id, "unchanged");
  if (order.status === "paid" || order.status === "refunded") {
    if (order.provider_payment_id === payment.id) return result(order.id, "unchanged");
    // A second approved payment for a settled order: the buyer paid twice.
    return await refundPayment(tx, order, payment, "duplicate_payment");
  }
  if (payment.amount !== order.total || payment.currency !== order.currency) {
    return await refundPayment(tx, order, payment, "amount_mismatch");
  }
  const issued = await markOrderPaid(tx, order, payment);
  if (issued !== null) return result(order.id, "paid");
  // Approved after the hold expired and the places were sold meanwhile: money back.
  const refunded = await refundPayment(tx, order, payment, "capacity_unavailable");
  await markOrderRefunded(tx, order, payment, "capacity_unavailable");
  return refunded;
}

async function hasRefund(tx: Tx, order: LockedOrder, payment: ProviderPayment) {
  const rows = await tx`select 1 from public.refunds
                         where provider = ${order.payment_provider}
                           and provider_payment_id = ${payment.id}`;
  return rows.length > 0;
}

/**
 * "Order paid": issues the tickets (clearing the holds first, then sold += n)
 * and marks the order paid, in the caller's transaction. Returns the number of
 * tickets, or null when capacity is gone (the order is then left unpaid).
 */
export async function markOrderPaid(
  tx: Tx,
  order: LockedOrder,
  payment: ProviderPayment,
): Promise<number | null> {
  const [{ issued }] = await tx<{ issued: number | null }[]>`
    select public.issue_order_tickets(${order.id}) as issued`;
  if (issued === null) return null;
  await tx`update public.orders
              set status = 'paid', paid_at = now(), provider_payment_id = ${payment.id},
                  provider_status = ${payment.rawStatus}, failure_reason = null
            where id = ${order.id}`;
  await audit(tx, {
    actorId: null,
    action: "order.paid",
    entity: "order",
    entityId: order.id,
    data: { payment_id: payment.id, tickets: issued, was: order.status },
  });
  // Queued in this transaction (outbox): the mail exists exactly when the tickets do.
  await queueOrderConfirmation(tx, order.id);
  return issued;
}

/** Clears the order's capacity holds; returns the ticket types whose holds were released. */
async function releaseHolds(tx: Tx, orderId: string): Promise<string[]> {
  const released = await tx<{ ticket_type_id: string }[]>`
    update public.order_items set held_until = null
     where order_id = ${orderId} and held_until is not null
    returning ticket_type_id`;
  return released.map((r) => r.ticket_type_id);
}

async function applyRejected(tx: Tx, order: LockedOrder, payment: ProviderPayment) {
  if (order.status !== "pending") return result(order.id, "unchanged");
  const releasedTypes = await releaseHolds(tx, order.id);
  await tx`update public.orders
              set status = 'failed', provider_payment_id = coalesce(provider_payment_id, ${payment.id}),
                  provider_status = ${payment.rawStatus}, failure_reason = 'payment_' || ${payment.status}
            where id = ${order.id}`;
  await audit(tx, {
    actorId: null,
    action: "order.failed",
    entity: "order",
    entityId: order.id,
    data: { payment_id: payment.id, payment_status: payment.rawStatus },
  });
  return result(order.id, "failed", { releasedTypes });
}

async function applyRefunded(tx: Tx, order: LockedOrder, payment: ProviderPayment) {
  // Only the payment that paid the order can unpay it. Any other (a wrong amount or a
  // duplicate we refunded, a payment never accepted) is a refund we asked for or merely
  // observe: recorded as done, the order untouched.
  const paidByThis = order.status === "paid" && order.provider_payment_id === payment.id;
  if (!paidByThis) {
    await recordRefund(tx, order, payment, "provider_refund", "succeeded");
    return result(order.id, "unchanged");
  }
  await recordRefund(tx, order, payment, "provider_refund", "succeeded");
  const releasedTypes = await markOrderRefunded(tx, order, payment, payment.status);
  return result(order.id, "refunded", { releasedTypes });
}

/**
 * "Order refunded": revokes its tickets (sold -= n), clears any hold and marks
 * the order refunded, in the caller's transaction. Returns the order's ticket
 * types: their places are on sale again (their sold-out flags may go).
 */
export async function markOrderRefunded(
  tx: Tx,
  order: LockedOrder,
  payment: ProviderPayment,
  reason: string,
  actorId: string | null = null,
): Promise<string[]> {
  const [{ revoked }] = await tx<{ revoked: number }[]>`
    select public.revoke_order_tickets(${order.id}, ${reason}) as revoked`;
  await releaseHolds(tx, order.id);
  await tx`update public.orders
              set status = 'refunded', provider_payment_id = coalesce(provider_payment_id, ${payment.id}),
                  provider_status = ${payment.rawStatus}, failure_reason = ${reason}
            where id = ${order.id}`;
  await audit(tx, {
    actorId,
    action: "order.refunded",
    entity: "order",
    entityId: order.id,
    data: { payment_id: payment.id, reason, tickets_revoked: revoked, was: order.status },
  });
  // Queued in this transaction (outbox): the notice exists exactly when the refund does.
  await queueRefundNotice(tx, order.id);
  const types = await tx<{ ticket_type_id: string }[]>`
    select distinct ticket_type_id from public.order_items where order_id = ${order.id}`;
  return types.map((t) => t.ticket_type_id);
}

async function refundPayment(
  tx: Tx,
  order: LockedOrder,
  payment: ProviderPayment,
  reason: "duplicate_payment" | "amount_mismatch" | "capacity_unavailable",
): Promise<ApplyResult> {
  const id = await recordRefund(tx, order, payment, reason, "pending");
  return result(order.id, "refund_requested", { refundIds: id ? [id] : [] });
}

/**
 * Records a refund of `payment` (one per payment, UNIQUE). A pending row is a
 * decision the provider has not accepted yet; the sweep retries it. Returns
 * the id when the row is still pending.
 */
export async function recordRefund(
  tx: Tx,
  order: LockedOrder,
  payment: ProviderPayment,
  reason: string,
  status: "pending" | "succeeded",
  actorId: string | null = null,
): Promise<string | undefined> {
  const [row] = await tx<{ id: string; status: string }[]>`
    insert into public.refunds (order_id, provider, provider_payment_id, amount, currency, reason,
                                status)
    values (${order.id}, ${order.payment_provider}, ${payment.id}, ${payment.amount},
            ${payment.currency || order.currency}, ${reason}, ${status})
    on conflict (provider, provider_payment_id) do update
      set status = case when excluded.status = 'succeeded' then 'succeeded'
                        else public.refunds.status end
    returning id, status`;
  if (row.status === "pending") {
    await audit(tx, {
      actorId,
      action: "refund.decided",
      entity: "refund",
      entityId: row.id,
      data: { order_id: order.id, payment_id: payment.id, reason },
    });
  }
  return row.status === "pending" ? row.id : undefined;
}
