/**
 * What the purchase flow needs from a payment provider: a checkout preference
 * for an order, the authoritative state of a payment, and a refund. Mercado
 * Pago implements it in production, the simulated provider locally.
 */
import { DomainError } from "../errors.ts";

export interface PreferenceItem {
  id: string;
  title: string;
  quantity: number;
  /** Integer minor units (centavos). */
  unitPrice: number;
}

export interface PreferenceRequest {
  orderId: string;
  currency: string;
  items: PreferenceItem[];
  payerEmail: string | undefined;
  /** The hold's end: the checkout closes then. */
  expiresAt: Date;
  /**
   * The order's slow-payment deadline: a cash voucher, ATM payment or bank
   * transfer must be paid by then. Null: the checkout does not offer them.
   */
  slowPaymentDeadline: Date | null;
}

/**
 * Mercado Pago's payment types that settle hours or days after checkout: cash
 * vouchers (Rapipago, Pago Fácil), ATM payments, bank transfers.
 */
export const SLOW_PAYMENT_TYPES = ["ticket", "atm", "bank_transfer"] as const;

export interface Preference {
  id: string;
  checkoutUrl: string;
}

/** The normalised payment statuses the purchase flow acts on. */
export type PaymentStatus =
  | "pending"
  | "approved"
  | "rejected"
  | "cancelled"
  | "refunded"
  | "charged_back";

export interface ProviderPayment {
  id: string;
  status: PaymentStatus;
  /** The provider's raw status (e.g. `in_process`), for the record. */
  rawStatus: string;
  /** Our order id, from the preference's external_reference. */
  externalReference: string | undefined;
  /** Integer minor units. */
  amount: number;
  currency: string;
  /** ticket (cash voucher), atm, bank_transfer, credit_card, account_money, … */
  paymentTypeId?: string;
  /** A pending voucher's or transfer's deadline (ISO 8601); absent for cards. */
  dateOfExpiration?: string;
}

/** A chargeback: the buyer disputed payments with their card issuer. */
export interface ProviderChargeback {
  id: string;
  paymentIds: string[];
  /** Integer minor units. */
  amount: number;
  currency: string;
}

export interface ProviderRefund {
  id: string;
  status: string;
}

export interface PaymentProvider {
  readonly name: string;
  createPreference(request: PreferenceRequest): Promise<Preference>;
  getPayment(paymentId: string): Promise<ProviderPayment>;
  /**
   * Refunds the whole payment, or `amount` (minor units) of it; `idempotencyKey`
   * makes a retried call a no-op.
   */
  refundPayment(
    paymentId: string,
    idempotencyKey: string,
    amount?: number,
  ): Promise<ProviderRefund>;
  /** Every payment made for an order (its external_reference), newest first. */
  searchPayments(externalReference: string): Promise<ProviderPayment[]>;
  /** A chargeback notified on the `chargebacks` topic, re-read from the provider. */
  getChargeback(chargebackId: string): Promise<ProviderChargeback>;
}

/** Mercado Pago payment ids are numeric; anything else never reaches a URL. */
const PAYMENT_ID = /^\d{1,20}$/;

export function isValidPaymentId(id: string): boolean {
  return PAYMENT_ID.test(id);
}

export function assertValidPaymentId(id: string): void {
  if (!isValidPaymentId(id)) {
    throw new DomainError("validation_failed", "The payment id is not valid", {
      field: "payment_id",
    });
  }
}

/** The provider did not answer, answered an error, or timed out. */
export function providerUnavailable(cause: unknown): DomainError {
  const reason = cause instanceof Error ? cause.message.slice(0, 200) : String(cause);
  return new DomainError(
    "payment_provider_unavailable",
    "The payment provider is not available, please retry",
    { reason },
  );
}

/** A failure as one line for a retry row's last_error (keeps the provider's reason). */
export function failureText(error: unknown): string {
  if (error instanceof DomainError) {
    const reason = (error.details as { reason?: unknown } | undefined)?.reason;
    return `${error.code}${reason ? `: ${String(reason)}` : ""}`.slice(0, 1000);
  }
  return String(error instanceof Error ? error.message : error).slice(0, 1000);
}

/** Provider statuses → the ones we act on; in_process/authorized are still pending. */
export function normaliseStatus(raw: string | undefined): PaymentStatus {
  switch (raw) {
    case "approved":
    case "rejected":
    case "cancelled":
    case "refunded":
    case "charged_back":
      return raw;
    default:
      return "pending";
  }
}

/** Minor units → the decimal amount providers expect (ARS 1500.50 for 150050). */
export function toDecimal(minor: number): number {
  return Math.round(minor) / 100;
}

export function toMinor(decimal: number | undefined): number {
  return Math.round((decimal ?? 0) * 100);
}
