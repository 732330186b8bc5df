/**
 * The local stand-in for Mercado Pago (no MERCADOPAGO_ACCESS_TOKEN, not in
 * production). Its checkout URL is a page of the purchases function that
 * approves or rejects the order by creating a payment here and sending a
 * signed notification to the real webhook, so the same code path runs.
 * Payments live in public.simulated_payments, which every request sees.
 */
import { config } from "../config.ts";
import { db } from "../db/mod.ts";
import {
  assertValidPaymentId,
  normaliseStatus,
  type PaymentProvider,
  type ProviderPayment,
  providerUnavailable,
  toDecimal,
  toMinor,
} from "./provider.ts";

export const SIMULATED_PROVIDER = "simulated";

interface SimulatedRow {
  id: string;
  order_id: string;
  status: string;
  transaction_amount: string;
  currency: string;
}

export function simulatedCheckoutUrl(orderId: string): string {
  return `${config().functionsBaseUrl}/purchases/simulate/${orderId}`;
}

function toPayment(row: SimulatedRow): ProviderPayment {
  return {
    id: String(row.id),
    status: normaliseStatus(row.status),
    rawStatus: row.status,
    externalReference: row.order_id,
    amount: toMinor(Number(row.transaction_amount)),
    currency: row.currency,
  };
}

/** Records a simulated payment for an order, as a buyer paying in Checkout Pro would. */
export async function createSimulatedPayment(
  orderId: string,
  status: "approved" | "rejected" | "pending",
  amountMinor: number,
  currency: string,
): Promise<ProviderPayment> {
  const sql = await db();
  const [row] = await sql<SimulatedRow[]>`
    insert into public.simulated_payments (order_id, status, transaction_amount, currency)
    values (${orderId}, ${status}, ${toDecimal(amountMinor)}, ${currency})
    returning id::text, order_id, status, transaction_amount::text, currency`;
  return toPayment(row);
}

/** Marks an order's approved simulated payment refunded (a refund done at the provider). */
export async function refundSimulatedPaymentOf(orderId: string): Promise<string | undefined> {
  const sql = await db();
  const [row] = await sql<{ id: string }[]>`
    update public.simulated_payments set status = 'refunded'
     where id = (select id from public.simulated_payments
                  where order_id = ${orderId} and status = 'approved' order by id desc limit 1)
    returning id::text`;
  return row?.id;
}

export function createSimulatedProvider(): PaymentProvider {
  return {
    name: SIMULATED_PROVIDER,
    createPreference: (request) =>
      Promise.resolve({
        id: `sim-${request.orderId}`,
        checkoutUrl: simulatedCheckoutUrl(request.orderId),
      }),
    async getPayment(paymentId) {
      assertValidPaymentId(paymentId);
      const sql = await db();
      const [row] = await sql<SimulatedRow[]>`
        select id::text, order_id, status, transaction_amount::text, currency
          from public.simulated_payments where id = ${paymentId}`;
      if (!row) throw providerUnavailable(new Error(`payment ${paymentId} not found`));
      return toPayment(row);
    },
    async refundPayment(paymentId, _key, amount) {
      assertValidPaymentId(paymentId);
      const sql = await db();
      // A partial refund leaves the payment approved, as Mercado Pago does.
      const [row] = await sql<{ id: string }[]>`
        update public.simulated_payments
           set status = case when ${amount ?? null}::int is null then 'refunded' else status end
         where id = ${paymentId} and status in ('approved', 'refunded')
        returning id::text`;
      if (!row) throw providerUnavailable(new Error(`payment ${paymentId} cannot be refunded`));
      return { id: `sim-refund-${row.id}`, status: "approved" };
    },
    getChargeback(chargebackId) {
      // The local checkout has no card issuer to dispute anything.
      return Promise.reject(
        providerUnavailable(new Error(`the simulated provider has no chargeback ${chargebackId}`)),
      );
    },
    async searchPayments(externalReference) {
      const sql = await db();
      const rows = await sql<SimulatedRow[]>`
        select id::text, order_id, status, transaction_amount::text, currency
          from public.simulated_payments where order_id::text = ${externalReference}
         order by id desc limit 150`;
      return rows.map(toPayment);
    },
  };
}
