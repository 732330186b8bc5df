/**
 * Refunding some tickets of a paid order (admins): public.refund_tickets
 * revokes them, puts their places back, decides the refund of their price and
 * raises the order's refunded amount in one transaction (the order becomes
 * refunded with its last ticket); Mercado Pago is asked for that amount after commit.
 */
import type { AuthUser } from "../../shared/auth.ts";
import { type Sql, withTx } from "../../shared/db/mod.ts";
import type { PaymentProvider } from "../../shared/payments/mod.ts";
import { afterCommit, call } from "./transitions.ts";

export interface PartialRefund {
  order_id: string;
  status: string;
  total: number;
  refunded_amount: number;
  tickets_revoked: string[];
  refund: { id: string; status: string; amount: number; currency: string } | null;
  /** True when these tickets were refunded already (the same request again). */
  replayed: boolean;
}

/** Refunds `ticketIds` of the order; throws order_not_found, order_not_refundable, tickets_not_refundable. */
export async function refundTickets(
  sql: Sql,
  provider: PaymentProvider,
  admin: AuthUser,
  orderId: string,
  ticketIds: string[],
): Promise<PartialRefund> {
  const result = await withTx(sql, (tx) =>
    call(tx`
      select public.refund_tickets(p_order_id => ${orderId},
        p_ticket_ids => ${tx.array(ticketIds)}::uuid[], p_actor_id => ${admin.id}) as result`));
  await afterCommit(sql, provider, result);
  const [order] = await sql<{ status: string; total: number; refunded_amount: number }[]>`
    select status::text, total, refunded_amount from public.orders where id = ${orderId}`;
  // The refund of this set of tickets: its part names them, as refund_tickets wrote it.
  const [refund] = await sql<NonNullable<PartialRefund["refund"]>[]>`
    select id, status, amount, currency::text from public.refunds
     where order_id = ${orderId}
       and part = 'tickets:' || md5(array_to_string(array(
             select distinct t from unnest(${sql.array(ticketIds)}::uuid[]) t order by 1), ','))`;
  return {
    order_id: orderId,
    ...order,
    tickets_revoked: [...new Set(ticketIds)].sort(),
    refund: refund ?? null,
    replayed: result.outcome === "unchanged",
  };
}
