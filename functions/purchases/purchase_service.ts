/**
 * Creating a purchase: rate limit, the sold-out fast path, the hold in
 * Postgres, then the checkout preference. A preference that cannot be
 * created releases the hold, so no hold is ever orphaned.
 */
import { rateLimiter } from "../../shared/cache/mod.ts";
import { config } from "../../shared/config.ts";
import type { Sql } from "../../shared/db/mod.ts";
import { isConnectionLoss } from "../../shared/db/mod.ts";
import { DomainError } from "../../shared/errors.ts";
import { log } from "../../shared/log.ts";
import { type PaymentProvider, providerUnavailable } from "../../shared/payments/mod.ts";
import { spendAdmission, type SpentAdmission } from "../../shared/queue/admission.ts";
import {
  type Attendee,
  orderForKey,
  type OrderLine,
  type ReservationItem,
  type ReservedOrder,
  reserveTickets,
} from "./reservation.ts";
import { knownSoldOut, rememberSoldOut } from "./sold_out.ts";

export interface PurchaseRequest {
  buyerId: string;
  buyerEmail: string | undefined;
  eventId: string;
  items: ReservationItem[];
  attendees: Attendee[];
  idempotencyKey: string;
  /** The waiting room's admission token; required when the event's queue is on. */
  admissionToken?: string;
}

// A buyer needs a handful of attempts a minute; bots hammering a flash sale get 429s.
const purchaseLimiter = rateLimiter("purchases", { limit: 20, windowSeconds: 60 });

/** Reserves the tickets and returns the order with its checkout URL (or the replayed order). */
export async function createPurchase(
  sql: Sql,
  provider: PaymentProvider,
  request: PurchaseRequest,
): Promise<ReservedOrder> {
  await enforceRateLimit(request.buyerId);
  const hash = await requestHash(request);
  // A replay returns its order whatever the flags say: the buyer holds the seat the
  // flag is about. The key is looked up only when a flag would refuse the request,
  // so the sold-out fast path stays one Redis read for everybody else.
  const soldOut = await knownSoldOut(request.items);
  if (soldOut && !(await orderForKey(sql, request.buyerId, request.idempotencyKey, hash))) {
    throw soldOut;
  }
  const { admission, refused } = await admissionFor(sql, request, hash);
  let reserved: { order: ReservedOrder; lines: OrderLine[] };
  try {
    const settings = config();
    reserved = await reserveTickets(sql, {
      ...request,
      requestHash: hash,
      holdMinutes: settings.HOLD_MINUTES,
      admissionTokenId: admission?.tokenId,
      unpaidLimit: settings.UNPAID_HOLDS_LIMIT,
      unpaidWindowMinutes: settings.UNPAID_HOLDS_WINDOW_MINUTES,
    });
  } catch (error) {
    await rememberSoldOut(error);
    // The order the key made is gone since (a failed checkout deletes it): the token's refusal stands.
    throw refused && error instanceof DomainError && error.code === "admission_required"
      ? refused
      : error;
  } finally {
    await admission?.settle();
  }
  const { order, lines } = reserved;
  if (order.status !== "pending" || order.checkout_url) return order;
  const checkoutUrl = await attachPreference(sql, provider, order, lines, request.buyerEmail);
  return { ...order, checkout_url: checkoutUrl };
}

/**
 * The admission token, spent; or, when it is refused (expired, say) but the
 * Idempotency-Key already made an order with this body, nothing: the
 * reservation then replays that order, which the token was spent on. A retry
 * of a purchase that went through never turns into a 403.
 */
async function admissionFor(
  sql: Sql,
  request: PurchaseRequest,
  hash: string,
): Promise<{ admission?: SpentAdmission; refused?: DomainError }> {
  if (!request.admissionToken) return {};
  const seats = request.items.reduce((sum, item) => sum + item.quantity, 0);
  try {
    return {
      admission: await spendAdmission(
        request.admissionToken,
        request.buyerId,
        request.eventId,
        seats,
      ),
    };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    if (!(await orderForKey(sql, request.buyerId, request.idempotencyKey, hash))) throw error;
    return { refused: error };
  }
}

async function enforceRateLimit(buyerId: string): Promise<void> {
  const result = await purchaseLimiter.check(buyerId);
  if (result.allowed) return;
  throw new DomainError("rate_limited", "Too many purchase attempts, please wait", {
    retry_after_seconds: result.retryAfterSeconds,
  });
}

/** Same body → same hash, whatever the order of items or keys. */
async function requestHash(request: PurchaseRequest): Promise<string> {
  const canonical = JSON.stringify({
    event_id: request.eventId,
    items: [...request.items]
      .sort((a, b) => a.ticket_type_id.localeCompare(b.ticket_type_id))
      .map((i) => [i.ticket_type_id, i.quantity]),
    attendees: request.attendees.map((a) => [a.ticket_type_id, a.name ?? null, a.email ?? null]),
  });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Creates the provider preference and stores its URL; on failure releases the hold (502). */
async function attachPreference(
  sql: Sql,
  provider: PaymentProvider,
  order: ReservedOrder,
  lines: OrderLine[],
  payerEmail: string | undefined,
): Promise<string> {
  try {
    const preference = await provider.createPreference({
      orderId: order.order_id,
      currency: order.currency,
      expiresAt: new Date(order.expires_at),
      slowPaymentDeadline: order.slow_payment_deadline
        ? new Date(order.slow_payment_deadline)
        : null,
      payerEmail,
      items: lines.map((l) => ({
        id: l.ticket_type_id,
        title: l.name,
        quantity: l.quantity,
        unitPrice: l.unit_price,
      })),
    });
    // An ordinary (synchronous) commit, and the one the 201 waits for: it flushes the WAL up
    // to here, the reservation's own commit included, which did not wait for the disk
    // (migration hold_queue). Keep a write committed here before answering.
    await sql`update public.orders
                 set provider_preference_id = ${preference.id}, checkout_url = ${preference.checkoutUrl},
                     payment_provider = ${provider.name}
               where id = ${order.order_id} and status = 'pending'`;
    return preference.checkoutUrl;
  } catch (error) {
    await releaseUnpaidOrder(sql, order.order_id, error);
    // The database failing (e.g. restarting) is not the provider's fault: 503, not 502.
    throw error instanceof DomainError || isConnectionLoss(error)
      ? error
      : providerUnavailable(error);
  }
}

/**
 * Deletes a pending order that never got a checkout URL, with its holds
 * (public.release_unpaid_order), so the buyer can retry with the same
 * Idempotency-Key.
 */
async function releaseUnpaidOrder(sql: Sql, orderId: string, cause: unknown): Promise<void> {
  await sql`select public.release_unpaid_order(p_order_id => ${orderId},
                                               p_reason => 'payment_provider_unavailable')`;
  log.warn("checkout preference failed; hold released", {
    order_id: orderId,
    error: cause instanceof Error ? cause.message.slice(0, 200) : String(cause),
  });
}
