/**
 * Creating a purchase: rate limit, the sold-out fast path, the hold in
 * Postgres, then the checkout preference. A preference that cannot be
 * created releases the hold, so no hold is ever orphaned.
 */
import { audit } from "../../shared/audit.ts";
import { cache, rateLimiter } from "../../shared/cache.ts";
import { config } from "../../shared/config.ts";
import type { Sql } from "../../shared/db.ts";
import { DomainError } from "../../shared/errors.ts";
import { log } from "../../shared/log.ts";
import { type PaymentProvider, providerUnavailable } from "../../shared/payments/mod.ts";
import {
  type Attendee,
  orderForKey,
  type ReservationItem,
  type ReservedOrder,
  reserveTickets,
} from "./reservation.ts";

export interface PurchaseRequest {
  buyerId: string;
  buyerEmail: string | undefined;
  eventId: string;
  items: ReservationItem[];
  attendees: Attendee[];
  idempotencyKey: string;
}

// A buyer needs a handful of attempts a minute; bots hammering a flash sale get 429s.
const purchaseLimiter = rateLimiter("purchases", { limit: 20, windowSeconds: 60 });
// A sold-out flag is a hint, never the authority: it expires within seconds so
// tickets released by expired or failed orders sell again.
export const SOLD_OUT_TTL_SECONDS = 5;
export const soldOutKey = (ticketTypeId: string) => `purchases:sold_out:${ticketTypeId}`;

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
  let order: ReservedOrder;
  try {
    order = await reserveTickets(sql, {
      ...request,
      requestHash: hash,
      holdMinutes: config().HOLD_MINUTES,
    });
  } catch (error) {
    await rememberSoldOut(error);
    throw error;
  }
  if (order.status !== "pending" || order.checkout_url) return order;
  const checkoutUrl = await attachPreference(sql, provider, order.order_id, request.buyerEmail);
  return { ...order, checkout_url: checkoutUrl };
}

async function enforceRateLimit(buyerId: string): Promise<void> {
  const result = await purchaseLimiter.check(buyerId);
  if (result.allowed) return;
  throw new DomainError("rate_limited", "Too many purchase attempts, please wait", {
    retry_after_seconds: result.retryAfterSeconds,
  });
}

/** The sold_out error a remembered flag answers with, or undefined when no flag is set. */
async function knownSoldOut(items: ReservationItem[]): Promise<DomainError | undefined> {
  for (const item of items) {
    if (await cache().get<boolean>(soldOutKey(item.ticket_type_id))) {
      return new DomainError("sold_out", "Not enough tickets left", {
        ticket_type_id: item.ticket_type_id,
        available: 0,
      });
    }
  }
  return undefined;
}

async function rememberSoldOut(error: unknown): Promise<void> {
  if (!(error instanceof DomainError) || error.code !== "sold_out") return;
  const details = error.details as { ticket_type_id?: string; available?: number } | undefined;
  if (details?.ticket_type_id && details.available === 0) {
    await cache().set(soldOutKey(details.ticket_type_id), true, SOLD_OUT_TTL_SECONDS);
  }
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

interface CheckoutLine {
  ticket_type_id: string;
  name: string;
  quantity: number;
  unit_price: number;
  currency: string;
  expires_at: Date;
}

/** Creates the provider preference and stores its URL; on failure releases the hold (502). */
async function attachPreference(
  sql: Sql,
  provider: PaymentProvider,
  orderId: string,
  payerEmail: string | undefined,
): Promise<string> {
  const lines = await sql<CheckoutLine[]>`
    select oi.ticket_type_id, t.name, oi.quantity, oi.unit_price, o.currency, o.expires_at
      from public.order_items oi
      join public.ticket_types t on t.id = oi.ticket_type_id
      join public.orders o on o.id = oi.order_id
     where oi.order_id = ${orderId} order by t.sort_order, t.name`;
  try {
    const preference = await provider.createPreference({
      orderId,
      currency: lines[0].currency.trim(),
      expiresAt: lines[0].expires_at,
      payerEmail,
      items: lines.map((l) => ({
        id: l.ticket_type_id,
        title: l.name,
        quantity: l.quantity,
        unitPrice: l.unit_price,
      })),
    });
    await sql`update public.orders
                 set provider_preference_id = ${preference.id}, checkout_url = ${preference.checkoutUrl},
                     payment_provider = ${provider.name}
               where id = ${orderId} and status = 'pending'`;
    return preference.checkoutUrl;
  } catch (error) {
    await releaseUnpaidOrder(sql, orderId, error);
    throw error instanceof DomainError ? error : providerUnavailable(error);
  }
}

/**
 * Deletes a pending order that never got a checkout URL (its hold goes with
 * it), so the buyer can retry with the same Idempotency-Key. Guarded: an order
 * a concurrent replay did attach a preference to is left alone.
 */
async function releaseUnpaidOrder(sql: Sql, orderId: string, cause: unknown): Promise<void> {
  await sql.begin(async (tx) => {
    const released = await tx`delete from public.orders
                               where id = ${orderId} and status = 'pending' and checkout_url is null
                               returning id`;
    if (released.length === 0) return;
    await audit(tx, {
      actorId: null,
      action: "order.released",
      entity: "order",
      entityId: orderId,
      data: { reason: "payment_provider_unavailable" },
    });
  });
  log.warn("checkout preference failed; hold released", {
    order_id: orderId,
    error: cause instanceof Error ? cause.message.slice(0, 200) : String(cause),
  });
}
