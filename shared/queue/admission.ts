/**
 * What a purchase does with an admission token before the hold: verify it
 * (signature, expiry, user, event: 403 otherwise), then tell the queue the
 * buyer is buying, so they stop counting as an active buyer the queue must
 * leave room for. That second step is best effort: with Redis down, admitted
 * buyers still buy (the token's single use is enforced in Postgres, not here).
 */
import { log } from "../log.ts";
import { queueStore } from "./store.ts";
import { type Admission, verifyAdmission } from "./tokens.ts";

/**
 * How long a buyer who spent their token still counts against admissions:
 * longer than any reservation can take (its lock and statement timeouts), so
 * their hold is in every stock snapshot the queue admits against afterwards.
 */
export const USING_TTL_MS = 30_000;
/**
 * Once the reservation is over they count this much longer: a stock snapshot
 * read before the hold committed is at most a fraction of a second old when
 * used (settings_service.ts), is refused as older than one already applied,
 * or admits nobody past STOCK_MAX_AGE_MS (scripts.ts), which stays below this.
 */
export const SETTLED_LINGER_MS = 3_000;

export interface SpentAdmission extends Admission {
  /** Call when the reservation is over, whatever its outcome. */
  settle(): Promise<void>;
}

/**
 * Verifies the token for this buyer and event and marks them as buying
 * `seats` tickets (the queue takes those seats off its stock snapshots until
 * the hold is surely in them).
 */
export async function spendAdmission(
  token: string,
  buyerId: string,
  eventId: string,
  seats: number,
): Promise<SpentAdmission> {
  const admission = await verifyAdmission(token, { userId: buyerId, eventId });
  await bestEffort(
    "use",
    () => queueStore().use(eventId, buyerId, Date.now(), USING_TTL_MS, seats),
  );
  return {
    ...admission,
    settle: () =>
      bestEffort(
        "settle",
        () => queueStore().settle(eventId, buyerId, Date.now(), SETTLED_LINGER_MS),
      ),
  };
}

async function bestEffort(op: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    log.warn("queue unreachable during a purchase; buying anyway", {
      op,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
