/**
 * Slow payments on the fake Mercado Pago, as a buyer makes them in Checkout
 * Pro: a cash voucher (Rapipago / Pago Fácil, payment type `ticket`), an ATM
 * payment or a bank transfer is created `pending` from the order's
 * preference, and settles later — approved when paid, cancelled (status
 * detail `expired`) when its deadline passes, or as the test says. Each change
 * is notified to the webhook as Mercado Pago does it (the `payment` topic,
 * with the id only); the SDK reads the state from the fake's HTTP API.
 */
import type { FakeMercadoPago, FakePreference } from "./fake_mercadopago.ts";

export type SlowPaymentType = "ticket" | "atm" | "bank_transfer";

/** How a slow payment ends: paid, its deadline passed, or refused at review. */
export type Settlement = "approved" | "expired" | "cancelled" | "rejected";

export interface SlowPaymentOptions {
  /** The order (the preference's external_reference) the buyer checks out. */
  orderId: string;
  /** Default `ticket` (a cash voucher). A card under review is `credit_card` + `in_process`. */
  paymentTypeId?: SlowPaymentType | "credit_card";
  /** Default `pending` (waiting for the buyer to pay); `in_process` is a payment under review. */
  status?: "pending" | "in_process";
  /** Settles after this many ms (omitted: stays pending until `settle` is called). */
  settleAfterMs?: number;
  settleTo?: Settlement;
  /** Delivers Mercado Pago's notification of this payment to the webhook. */
  notify: (paymentId: number) => Promise<unknown>;
}

export interface SlowPayment {
  paymentId: number;
  /** The deadline Mercado Pago gave the voucher (the preference's date_of_expiration). */
  dateOfExpiration: string;
  /** Settles now (if not settled yet) and delivers the notification. */
  settle(to: Settlement): Promise<void>;
  /** Resolves when the delayed settlement was applied and notified. */
  settled: Promise<void>;
}

// Mercado Pago's default deadline for a voucher when the preference sets none.
const DEFAULT_VOUCHER_DAYS = 3;

const SETTLED_AS: Record<Settlement, [status: string, detail: string]> = {
  approved: ["approved", "accredited"],
  expired: ["cancelled", "expired"],
  cancelled: ["cancelled", "by_collector"],
  rejected: ["rejected", "cc_rejected_high_risk"],
};

const DETAIL_WHILE: Record<string, string> = {
  pending: "pending_waiting_payment",
  in_process: "pending_review_manual",
};

/**
 * The buyer picks a slow method in the order's checkout: the payment is
 * created pending and notified. Throws when the checkout would not offer the
 * method (the preference excludes its type, or no preference was made).
 */
export async function payWithSlowMethod(
  fake: FakeMercadoPago,
  options: SlowPaymentOptions,
): Promise<SlowPayment> {
  const preference = preferenceOf(fake, options.orderId);
  const type = options.paymentTypeId ?? "ticket";
  const excluded = (preference.body.payment_methods?.excluded_payment_types ?? [])
    .map((t: { id: string }) => t.id);
  if (excluded.includes(type)) {
    throw new Error(`the checkout of ${options.orderId} does not offer ${type}`);
  }
  const dateOfExpiration = preference.body.date_of_expiration ??
    new Date(Date.now() + DEFAULT_VOUCHER_DAYS * 86_400_000).toISOString();
  const status = options.status ?? "pending";
  const paymentId = fake.addPayment({
    status,
    status_detail: DETAIL_WHILE[status],
    external_reference: options.orderId,
    transaction_amount: totalOf(preference),
    currency_id: preference.body.items[0].currency_id,
    payment_type_id: type,
    payment_method_id: type === "ticket" ? "rapipago" : type,
    date_of_expiration: type === "credit_card" ? null : dateOfExpiration,
  });
  await options.notify(paymentId);
  let done = false;
  const settle = async (to: Settlement) => {
    if (done) return;
    done = true;
    const [newStatus, detail] = SETTLED_AS[to];
    fake.setPaymentStatus(paymentId, newStatus, detail);
    await options.notify(paymentId);
  };
  const settled = options.settleAfterMs === undefined
    ? Promise.resolve()
    : new Promise<void>((resolve, reject) =>
      setTimeout(
        () => settle(options.settleTo ?? "approved").then(resolve, reject),
        options.settleAfterMs,
      )
    );
  return { paymentId, dateOfExpiration, settle, settled };
}

/** The newest preference made for an order; its body is what our SDK call sent. */
export function preferenceOf(fake: FakeMercadoPago, orderId: string): FakePreference {
  const preference = fake.preferences.findLast((p) => p.body?.external_reference === orderId);
  if (!preference) throw new Error(`no checkout preference for order ${orderId}`);
  return preference;
}

function totalOf(preference: FakePreference): number {
  const cents = (preference.body.items as Array<{ quantity: number; unit_price: number }>)
    .reduce((sum, item) => sum + Math.round(item.unit_price * 100) * item.quantity, 0);
  return cents / 100;
}
