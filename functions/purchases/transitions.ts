/**
 * An order's transitions after its reservation, each one SQL function (see
 * supabase/migrations/*_order_transitions.sql and public.order_transitions):
 * the function locks the order, checks the move, changes tickets and
 * capacity, writes the audit row and queues the mail in the caller's
 * transaction. This module picks the transition, calls it with named
 * arguments and maps its outcome; it writes no status and no audit row.
 */
import type { AuthUser } from "../../shared/auth.ts";
import { type Db, type Fragment, type Sql, withTx } from "../../shared/db/mod.ts";
import { kickDispatch } from "../../shared/mail/mod.ts";
import type {
  PaymentProvider,
  ProviderChargeback,
  ProviderPayment,
} from "../../shared/payments/mod.ts";
import { isUuid } from "../../shared/uuid.ts";
import { type AdminRefund, refundOf } from "./order_service.ts";
import { orderError } from "./order_errors.ts";
import { requestRefund } from "./refund_service.ts";
import { clearSoldOut } from "./sold_out.ts";

export type Outcome =
  | "awaiting_payment"
  | "paid"
  | "failed"
  | "refunded"
  | "refund_requested"
  | "partially_refunded"
  | "disputed"
  | "cancelled"
  | "unchanged";

/** What every transition function returns. */
export interface TransitionResult {
  order_id: string | null;
  outcome: Outcome | "unknown_order";
  /** Refund rows decided in the transaction; the caller asks the provider after commit. */
  refund_ids: string[];
  /** Ticket types with places back on sale (their sold-out flags may go). */
  released_types: string[];
}

/** Runs one transition's `select public.<fn>(…) as result`, mapping its SQLSTATEs. */
export async function call(statement: PromiseLike<{ result: TransitionResult }[]>) {
  try {
    const [row] = await statement;
    return row.result;
  } catch (error) {
    throw orderError(error) ?? error;
  }
}

const unknownOrder: TransitionResult = {
  order_id: null,
  outcome: "unknown_order",
  refund_ids: [],
  released_types: [],
};

/**
 * The transition a payment's authoritative state (re-read from the provider)
 * calls, as an SQL fragment `public.<fn>(…)`: approved → pay, pending/in
 * process → await (a slow payment keeps the hold, when the order's checkout
 * offered them), rejected/cancelled → fail, refunded → the provider's refund,
 * charged back → dispute. Undefined when the payment names no order of ours or
 * its state changes nothing.
 */
export function paymentTransition(
  sql: Db,
  provider: string,
  payment: ProviderPayment,
): Fragment | undefined {
  const orderId = payment.externalReference;
  if (!orderId || !isUuid(orderId)) return undefined;
  const common = sql`p_order_id => ${orderId}, p_provider => ${provider},
    p_payment_id => ${payment.id}, p_provider_status => ${payment.rawStatus}`;
  switch (payment.status) {
    case "approved":
      return sql`public.pay_order(${common}, p_amount => ${payment.amount},
                                  p_currency => ${payment.currency})`;
    case "pending":
      // The SQL decides: only `pending`/`in_process` of the order's amount, on an order
      // whose checkout offered slow payments and still holds its tickets, moves it.
      return sql`public.await_payment(${common}, p_amount => ${payment.amount},
                   p_currency => ${payment.currency},
                   p_date_of_expiration => ${payment.dateOfExpiration ?? null})`;
    case "rejected":
    case "cancelled":
      return sql`public.fail_order(${common}, p_payment_status => ${payment.status})`;
    case "charged_back":
      // The chargeback itself (with its id) comes on the chargebacks topic; the
      // payment's status alone already disputes the order.
      return disputeTransition(sql, provider, payment, undefined);
    case "refunded":
      return sql`public.apply_provider_refund(${common}, p_payment_status => ${payment.status},
                   p_amount => ${payment.amount}, p_currency => ${payment.currency})`;
    default:
      return undefined;
  }
}

/** Applies a payment's authoritative state to its order (see paymentTransition). */
export async function applyPayment(
  tx: Db,
  provider: string,
  payment: ProviderPayment,
): Promise<TransitionResult> {
  const transition = paymentTransition(tx, provider, payment);
  if (transition) {
    return await call(tx<{ result: TransitionResult }[]>`select ${transition} as result`);
  }
  return await unchangedOrUnknown(tx, provider, payment);
}

/** What a payment that moves nothing means: `unchanged` for an order of ours, else unknown. */
export async function unchangedOrUnknown(
  sql: Db,
  provider: string,
  payment: ProviderPayment,
): Promise<TransitionResult> {
  const orderId = payment.externalReference;
  if (!orderId || !isUuid(orderId)) return unknownOrder;
  const [known] = await sql`select 1 from public.orders
                             where id = ${orderId} and payment_provider = ${provider}`;
  return known ? { ...unknownOrder, order_id: orderId, outcome: "unchanged" } : unknownOrder;
}

/**
 * A chargeback on a payment: its order disputed (unused tickets revoked, used
 * ones kept as evidence, admins alerted) when this payment paid it; recorded
 * with the provider's chargeback id either way.
 */
export async function disputePayment(
  tx: Db,
  provider: string,
  payment: ProviderPayment,
  chargeback: ProviderChargeback | undefined,
): Promise<TransitionResult> {
  const transition = disputeTransition(tx, provider, payment, chargeback);
  if (!transition) return unknownOrder;
  return await call(tx<{ result: TransitionResult }[]>`select ${transition} as result`);
}

function disputeTransition(
  sql: Db,
  provider: string,
  payment: ProviderPayment,
  chargeback: ProviderChargeback | undefined,
): Fragment | undefined {
  const orderId = payment.externalReference;
  if (!orderId || !isUuid(orderId)) return undefined;
  return sql`public.dispute_order(p_order_id => ${orderId}, p_provider => ${provider},
    p_payment_id => ${payment.id}, p_provider_status => ${payment.rawStatus},
    p_chargeback_id => ${chargeback?.id ?? null},
    p_amount => ${chargeback?.amount ?? payment.amount},
    p_currency => ${chargeback?.currency || payment.currency})`;
}

/**
 * What follows a committed transition: its mail sent now rather than at the
 * next scheduled dispatch, its refunds asked of the provider (a failure
 * leaves them pending for the sweep), the sold-out flags of released types cleared.
 */
export async function afterCommit(
  sql: Sql,
  provider: PaymentProvider,
  result: TransitionResult,
): Promise<void> {
  const mailed = ["paid", "refunded", "refund_requested", "partially_refunded", "disputed"];
  if (mailed.includes(result.outcome)) {
    kickDispatch();
  }
  for (const refundId of result.refund_ids) await requestRefund(sql, provider, refundId);
  await clearSoldOut(result.released_types);
}

/**
 * An admin refunds a paid order in full (a buyer's request, a cancelled
 * event): the refund decided (a pending row the sweep retries until the
 * provider accepts it), tickets revoked at once, places back on sale, the
 * buyer's notice queued; the provider is asked after commit. Asking again for
 * a refunded order returns what was done (`replayed`). Throws
 * order_not_found and order_not_refundable.
 */
export async function refundOrder(
  sql: Sql,
  provider: PaymentProvider,
  admin: AuthUser,
  orderId: string,
): Promise<AdminRefund> {
  const result = await withTx(sql, (tx) =>
    call(tx<{ result: TransitionResult }[]>`
      select public.refund_order(p_order_id => ${orderId}, p_actor_id => ${admin.id},
                                 p_reason => 'admin') as result`));
  await afterCommit(sql, provider, result);
  return { ...await refundOf(sql, orderId), replayed: result.outcome === "unchanged" };
}
