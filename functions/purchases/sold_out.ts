/**
 * The sold-out fast path: a short-lived flag per ticket type in the cache, set
 * when a reservation finds no room and cleared when places come back (failed,
 * refunded orders). A hint only, never the authority: the database decides.
 */
import { cache } from "../../shared/cache/mod.ts";
import { DomainError } from "../../shared/errors.ts";

// Expires within seconds, so tickets released by expired holds sell again
// even though no code path clears the flag for them.
export const SOLD_OUT_TTL_SECONDS = 5;
export const soldOutKey = (ticketTypeId: string) => `purchases:sold_out:${ticketTypeId}`;

/** The sold_out error a remembered flag answers with, or undefined when no flag is set. */
export async function knownSoldOut(
  items: { ticket_type_id: string }[],
): Promise<DomainError | undefined> {
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

/** Flags the type of a `sold_out` error with nothing left. */
export async function rememberSoldOut(error: unknown): Promise<void> {
  if (!(error instanceof DomainError) || error.code !== "sold_out") return;
  const details = error.details as { ticket_type_id?: string; available?: number } | undefined;
  if (details?.ticket_type_id && details.available === 0) {
    await cache().set(soldOutKey(details.ticket_type_id), true, SOLD_OUT_TTL_SECONDS);
  }
}

/** Clears the flags of types whose places are on sale again. */
export async function clearSoldOut(ticketTypeIds: string[]): Promise<void> {
  if (ticketTypeIds.length > 0) await cache().del(...ticketTypeIds.map(soldOutKey));
}
