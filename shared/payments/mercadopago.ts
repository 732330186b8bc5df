/**
 * Mercado Pago Checkout Pro through the official `mercadopago` SDK.
 *
 * A client is built per call: the SDK merges each call's requestOptions into
 * the shared config object, so a reused client would carry one call's
 * idempotency key into the next. The API base URL is the SDK's static
 * AppConfig.BASE_URL, set from MERCADOPAGO_BASE_URL (tests point it at a fake).
 * The SDK is loaded on first use, not at boot (cold start: it is the largest
 * module of the purchases function, and most requests never call it).
 */
import type { MercadoPagoConfig } from "mercadopago";
import { config } from "../config.ts";
import { remainingMs } from "../deadline.ts";
import { recordOutcome } from "../dependency_health.ts";
import {
  assertValidPaymentId,
  normaliseStatus,
  type PaymentProvider,
  type Preference,
  type PreferenceRequest,
  type ProviderPayment,
  type ProviderRefund,
  providerUnavailable,
  SLOW_PAYMENT_TYPES,
  toDecimal,
  toMinor,
} from "./provider.ts";

const DEFAULT_BASE_URL = "https://api.mercadopago.com";
// A buyer waits on createPreference while holding tickets, and Mercado Pago waits
// 22 s for our webhook answer: every call is bounded well below both, and its two
// tries (2 × 4 s + backoff) below the request deadline (REQUEST_DEADLINE_MS, 10 s),
// so a hung provider is answered 502 with the hold released, not cut off at 503.
const TIMEOUT_MS = 4000;
// One quick retry for a 5xx/429 blip; the SDK's default (3 retries, up to 30 s) is too slow here.
const RETRY = { maxRetries: 1, initialDelay: 200, maxDelay: 1000 };

// Payment search pages: 30 a page (Mercado Pago's default), at most 5 pages per order.
const SEARCH_PAGE = 30;
const SEARCH_MAX_PAGES = 5;

const sdk = () => import("mercadopago");

async function sdkConfig(accessToken: string, idempotencyKey?: string): Promise<MercadoPagoConfig> {
  const [{ MercadoPagoConfig }, { AppConfig }] = await Promise.all([
    sdk(),
    import("mercadopago/dist/utils/config/index.js"),
  ]);
  (AppConfig as { BASE_URL: string }).BASE_URL =
    config().MERCADOPAGO_BASE_URL?.replace(/\/$/, "") ??
      DEFAULT_BASE_URL;
  return new MercadoPagoConfig({
    accessToken,
    options: { ...callBounds(remainingMs()), ...(idempotencyKey ? { idempotencyKey } : {}) },
  });
}

// Left for answering once a call bounded by the caller's deadline gives up.
const DEADLINE_MARGIN_MS = 250;
const MIN_TIMEOUT_MS = 100;

/**
 * The SDK's timeout and retry for a call made with `leftMs` of the caller's
 * deadline (shared/deadline.ts) to go: the usual two tries when they fit,
 * else one try that ends before the deadline (a sweep step's share, the end
 * of a request). Exported for its test.
 */
export function callBounds(leftMs: number | undefined): typeof RETRY & { timeout: number } {
  if (leftMs === undefined) return { timeout: TIMEOUT_MS, ...RETRY };
  const usable = leftMs - DEADLINE_MARGIN_MS;
  if (usable >= 2 * TIMEOUT_MS + RETRY.maxDelay) return { timeout: TIMEOUT_MS, ...RETRY };
  return {
    timeout: Math.max(MIN_TIMEOUT_MS, Math.min(TIMEOUT_MS, Math.floor(usable))),
    ...RETRY,
    maxRetries: 0,
  };
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    const value = await run();
    recordOutcome("mercadopago", true);
    return value;
  } catch (error) {
    // Only the provider's own failures (5xx, timeouts, network) make it look down.
    recordOutcome("mercadopago", !isProviderFailure(error));
    throw providerUnavailable(error);
  }
}

function isProviderFailure(error: unknown): boolean {
  const status = (error as { status?: unknown })?.status;
  return typeof status !== "number" || status >= 500 || status === 429;
}

export function createMercadoPagoProvider(accessToken: string): PaymentProvider {
  return {
    name: "mercadopago",
    createPreference: (request) => call(() => createPreference(accessToken, request)),
    async getPayment(paymentId) {
      assertValidPaymentId(paymentId);
      const { Payment } = await sdk();
      const settings = await sdkConfig(accessToken);
      const payment = await call(() => new Payment(settings).get({ id: paymentId }));
      return toProviderPayment(payment);
    },
    async refundPayment(paymentId, idempotencyKey, amount): Promise<ProviderRefund> {
      assertValidPaymentId(paymentId);
      const { PaymentRefund } = await sdk();
      const settings = await sdkConfig(accessToken, idempotencyKey);
      const refunds = new PaymentRefund(settings);
      // A partial refund names its amount; a whole one refunds what is left of the payment.
      const refund = await call(() =>
        amount === undefined
          ? refunds.total({ payment_id: paymentId })
          : refunds.create({ payment_id: paymentId, body: { amount: toDecimal(amount) } })
      );
      return { id: String(refund.id ?? ""), status: String(refund.status ?? "approved") };
    },
    async getChargeback(chargebackId) {
      // Chargeback ids are numeric like payment ids; checked before they reach a URL.
      assertValidPaymentId(chargebackId);
      // The SDK has no chargebacks client; its RestClient gives the same base URL,
      // timeout and retry as every other call.
      const [{ RestClient }, settings] = await Promise.all([
        import("mercadopago/dist/utils/restClient/index.js"),
        sdkConfig(accessToken),
      ]);
      // A variable, not a literal: Deno 2.1.4 types RequestInit there without `headers`.
      const init = { headers: { Authorization: `Bearer ${accessToken}` }, ...settings.options };
      const answer = await call(() =>
        RestClient.fetch<SdkChargeback>(`/v1/chargebacks/${chargebackId}`, init)
      );
      return {
        id: String(answer.id ?? chargebackId),
        paymentIds: (answer.payments ?? []).map(String),
        amount: toMinor(answer.amount),
        currency: answer.currency ?? answer.currency_id ?? "",
      };
    },
    async searchPayments(externalReference) {
      const { Payment } = await sdk();
      const settings = await sdkConfig(accessToken);
      const found: ProviderPayment[] = [];
      // An order has a handful of payments at most (retries after a rejection); the page
      // bound keeps one hostile reference from turning a pass into an endless crawl.
      for (let page = 0; page < SEARCH_MAX_PAGES; page++) {
        const answer = await call(() =>
          new Payment(settings).search({
            options: {
              external_reference: externalReference,
              sort: "date_created",
              criteria: "desc",
              limit: SEARCH_PAGE,
              offset: page * SEARCH_PAGE,
            },
          })
        );
        const results = answer.results ?? [];
        found.push(...results.map((p) => toProviderPayment(p as SdkPayment)));
        if (results.length < SEARCH_PAGE) break;
      }
      return found.filter((p) => p.externalReference === externalReference);
    },
  };
}

async function createPreference(token: string, request: PreferenceRequest): Promise<Preference> {
  const { PUBLIC_APP_URL, functionsBaseUrl } = config();
  const backUrl = (result: string) =>
    `${PUBLIC_APP_URL.replace(/\/$/, "")}/orders/${request.orderId}?result=${result}`;
  // The order id as idempotency key: a retried create returns the same preference.
  const { Preference: MpPreference } = await sdk();
  const settings = await sdkConfig(token, `preference-${request.orderId}`);
  const preference = await new MpPreference(settings)
    .create({
      body: {
        items: request.items.map((item) => ({
          id: item.id,
          title: item.title,
          quantity: item.quantity,
          unit_price: toDecimal(item.unitPrice),
          currency_id: request.currency,
        })),
        payer: request.payerEmail ? { email: request.payerEmail } : undefined,
        external_reference: request.orderId,
        notification_url: `${functionsBaseUrl}/purchases/webhook`,
        back_urls: {
          success: backUrl("success"),
          failure: backUrl("failure"),
          pending: backUrl("pending"),
        },
        // Mercado Pago only redirects automatically to https back URLs.
        ...(PUBLIC_APP_URL.startsWith("https://") ? { auto_return: "approved" } : {}),
        // The checkout closes with the hold; a voucher made in it is payable until
        // date_of_expiration, when the event's policy offers slow payments at all.
        expires: true,
        expiration_date_to: request.expiresAt.toISOString(),
        ...(request.slowPaymentDeadline
          ? { date_of_expiration: request.slowPaymentDeadline.toISOString() }
          : {
            payment_methods: {
              excluded_payment_types: SLOW_PAYMENT_TYPES.map((id) => ({ id })),
            },
          }),
      },
    });
  if (!preference.id || !preference.init_point) {
    throw new Error("the preference has no id or init_point");
  }
  return { id: preference.id, checkoutUrl: preference.init_point };
}

interface SdkChargeback {
  id?: number | string;
  payments?: Array<number | string>;
  amount?: number;
  currency?: string;
  currency_id?: string;
}

interface SdkPayment {
  id?: number | string;
  status?: string;
  external_reference?: string;
  transaction_amount?: number;
  currency_id?: string;
  payment_type_id?: string;
  date_of_expiration?: string | null;
}

function toProviderPayment(payment: SdkPayment): ProviderPayment {
  const deadline = payment.date_of_expiration ? Date.parse(payment.date_of_expiration) : NaN;
  return {
    id: String(payment.id ?? ""),
    status: normaliseStatus(payment.status),
    rawStatus: payment.status ?? "unknown",
    externalReference: payment.external_reference || undefined,
    amount: toMinor(payment.transaction_amount),
    currency: payment.currency_id ?? "",
    paymentTypeId: payment.payment_type_id || undefined,
    // An unparseable date is no deadline: the order's own bounds the hold then.
    dateOfExpiration: Number.isNaN(deadline) ? undefined : new Date(deadline).toISOString(),
  };
}
