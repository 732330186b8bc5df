/**
 * An admin refunds a paid order (a buyer's request, a cancelled event). In one
 * transaction, under the order's row lock, the refund is decided — a pending
 * `refunds` row, which the sweep retries until the provider accepts it — and
 * the order is refunded: its tickets revoked (they stop admitting at once), the
 * places back on sale, the buyer's notice queued. The provider is asked after
 * commit. Asking again for a refunded order returns what was done.
 */
import type { AuthUser } from "../../shared/auth.ts";
import { cache } from "../../shared/cache.ts";
import { type Sql, withTx } from "../../shared/db.ts";
import { DomainError } from "../../shared/errors.ts";
import { kickDispatch } from "../../shared/mail/kick.ts";
import type { PaymentProvider, ProviderPayment } from "../../shared/payments/mod.ts";
import { type LockedOrder, markOrderRefunded, recordRefund } from "./payment_service.ts";
import { soldOutKey } from "./purchase_service.ts";
import { requestRefund } from "./refund_service.ts";

export interface AdminRefund {
  order_id: string;
  status: "refunded";
  tickets_revoked: number;
  /** The money going back (null only for an order refunded before refunds were recorded). */
  refund: {
    id: string;
    status: "pending" | "requested" | "succeeded";
    amount: number;
    currency: string;
    reason: string;
  } | null;
  /** True when the order was refunded already (by an earlier call, or by the provider). */
  replayed: boolean;
}

interface OrderToRefund extends LockedOrder {
  provider_status: string | null;
}

/** Refunds `orderId` on behalf of `admin`; see the module comment. */
export async function refundOrder(
  sql: Sql,
  provider: PaymentProvider,
  admin: AuthUser,
  orderId: string,
): Promise<AdminRefund> {
  const decided = await withTx(sql, async (tx) => {
    const [order] = await tx<OrderToRefund[]>`
      select id, buyer_id, status, total, currency::text, payment_provider, provider_payment_id,
             provider_status
        from public.orders where id = ${orderId} for update`;
    if (!order) throw new DomainError("order_not_found", "No such order");
    if (order.status === "refunded") {
      return { replayed: true, refundId: undefined, releasedTypes: [] };
    }
    // A paid order always has its payment; the second test only tells the type checker so.
    if (order.status !== "paid" || !order.provider_payment_id) {
      throw new DomainError("order_not_refundable", "Only a paid order can be refunded", {
        order_id: order.id,
        status: order.status,
      });
    }
    order.currency = order.currency.trim();
    // What the provider last said of the order's payment; the refund does not change it.
    const payment: ProviderPayment = {
      id: order.provider_payment_id,
      status: "approved",
      rawStatus: order.provider_status ?? "approved",
      externalReference: order.id,
      amount: order.total,
      currency: order.currency,
    };
    const refundId = await recordRefund(tx, order, payment, "admin", "pending", admin.id);
    const releasedTypes = await markOrderRefunded(tx, order, payment, "admin", admin.id);
    return { replayed: false, refundId, releasedTypes };
  });
  if (!decided.replayed) {
    kickDispatch();
    if (decided.refundId) await requestRefund(sql, provider, decided.refundId);
    // Its places are on sale again: a "sold out" remembered by the cache would turn buyers away.
    await cache().del(...decided.releasedTypes.map(soldOutKey));
  }
  return { ...await refundOf(sql, orderId), replayed: decided.replayed };
}

async function refundOf(sql: Sql, orderId: string): Promise<Omit<AdminRefund, "replayed">> {
  const [row] = await sql<{ tickets_revoked: number }[]>`
    select count(*)::int as tickets_revoked from public.tickets
     where order_id = ${orderId} and status = 'revoked'`;
  // The order's own payment's refund (a duplicate payment's refund is another matter).
  const [refund] = await sql<NonNullable<AdminRefund["refund"]>[]>`
    select r.id, r.status, r.amount, r.currency::text, r.reason
      from public.refunds r join public.orders o
        on o.id = r.order_id and o.payment_provider = r.provider
       and o.provider_payment_id = r.provider_payment_id
     where r.order_id = ${orderId}`;
  return {
    order_id: orderId,
    status: "refunded",
    tickets_revoked: row.tickets_revoked,
    refund: refund ? { ...refund, currency: refund.currency.trim() } : null,
  };
}
