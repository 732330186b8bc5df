/** Shared steps of the event cancellation tests: many paid orders at once, the sweep until done. */
import assert from "node:assert/strict";
import type { Sql } from "../../shared/db/mod.ts";
import { paymentProvider } from "../../shared/payments/mod.ts";
import { runSweep } from "../../functions/purchases/sweep_service.ts";
import { makeBuyers } from "../support/purchase_builders.ts";
import type { FakeMercadoPago } from "../support/fake_mercadopago.ts";
import type { TestUser } from "../support/builders.ts";

export interface PaidOrders {
  orderIds: string[];
  buyers: TestUser[];
  /** Fake Mercado Pago payment id per order, in orderIds order. */
  paymentIds: number[];
}

/**
 * `orders` orders of `ticketsEach` tickets, paid through Mercado Pago (an
 * approved payment on the fake for each), spread over `buyers` buyers
 * round-robin; written in a few statements, as pay_order leaves them.
 */
export async function seedPaidOrders(
  sql: Sql,
  fake: FakeMercadoPago,
  target: { eventId: string; ticketTypeId: string; price: number },
  { orders, buyers: buyerCount, ticketsEach }: {
    orders: number;
    buyers: number;
    ticketsEach: number;
  },
): Promise<PaidOrders> {
  const buyers = await makeBuyers(sql, buyerCount);
  const orderIds = Array.from({ length: orders }, () => crypto.randomUUID());
  const total = target.price * ticketsEach;
  const paymentIds = orderIds.map((id) =>
    fake.addPayment({
      status: "approved",
      external_reference: id,
      transaction_amount: total / 100,
      currency_id: "ARS",
    })
  );
  await sql`
    insert into public.orders (id, buyer_id, event_id, status, total, currency, expires_at,
                               idempotency_key, request_hash, paid_at, payment_provider,
                               provider_payment_id, provider_status)
    select o.id, o.buyer_id, ${target.eventId}, 'paid', ${total}, 'ARS', now(), o.id::text,
           'seed', now(), 'mercadopago', o.payment_id, 'approved'
      from unnest(${sql.array(orderIds)}::uuid[],
                  ${sql.array(orderIds.map((_, i) => buyers[i % buyerCount].id))}::uuid[],
                  ${sql.array(paymentIds.map(String))}::text[]) as o (id, buyer_id, payment_id)`;
  await sql`
    insert into public.order_items (order_id, ticket_type_id, quantity, unit_price)
    select id, ${target.ticketTypeId}, ${ticketsEach}, ${target.price}
      from unnest(${sql.array(orderIds)}::uuid[]) as id`;
  await sql`
    insert into public.tickets (order_id, event_id, ticket_type_id, owner_id, issue_seq)
    select o.id, o.event_id, ${target.ticketTypeId}, o.buyer_id, n
      from public.orders o cross join generate_series(1, ${ticketsEach}) as n
     where o.id = any (${sql.array(orderIds)}::uuid[])`;
  await sql`update public.ticket_types set sold = sold + ${orders * ticketsEach}
             where id = ${target.ticketTypeId}`;
  return { orderIds, buyers, paymentIds };
}

/** Runs sweep passes in this process until the event's cancellation is done. */
export async function sweepUntilDone(sql: Sql, eventId: string, maxPasses = 50): Promise<number> {
  const provider = paymentProvider();
  for (let pass = 1; pass <= maxPasses; pass++) {
    await runSweep(sql, provider);
    const [row] = await sql<{ status: string }[]>`
      select status from public.event_cancellations where event_id = ${eventId}`;
    if (row?.status === "done") return pass;
  }
  assert.fail(`the cancellation of ${eventId} was not done after ${maxPasses} passes`);
}

/** Refunds the fake made, per payment id. */
export function refundsByPayment(fake: FakeMercadoPago): Map<number, number[]> {
  const byPayment = new Map<number, number[]>();
  for (const refund of fake.refunds) {
    byPayment.set(refund.payment_id, [...(byPayment.get(refund.payment_id) ?? []), refund.amount]);
  }
  return byPayment;
}

/** POST calls to the fake's refund endpoint, per payment id (retries with one key included). */
export function refundCallsByPayment(fake: FakeMercadoPago): Map<number, number> {
  const calls = new Map<number, number>();
  for (const { method, path } of fake.requests) {
    const match = method === "POST" && path.match(/^\/v1\/payments\/(\d+)\/refunds$/);
    if (match) calls.set(Number(match[1]), (calls.get(Number(match[1])) ?? 0) + 1);
  }
  return calls;
}
