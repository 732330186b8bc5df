/**
 * The last outcome of calls to an outside service that has no breaker of its
 * own (Mercado Pago), per isolate, so readiness can say it is degraded
 * without calling it: a probe per health check would spend the provider's
 * rate limit and slow the check down.
 */

/** A failure older than this no longer counts: nothing has been tried since. */
const RECENT_MS = 60_000;

const lastOutcome = new Map<string, { ok: boolean; at: number }>();

export function recordOutcome(service: string, ok: boolean, now = Date.now()): void {
  lastOutcome.set(service, { ok, at: now });
}

/** True when the last call to `service` failed within the last minute. */
export function recentlyFailing(service: string, now = Date.now()): boolean {
  const last = lastOutcome.get(service);
  return last !== undefined && !last.ok && now - last.at < RECENT_MS;
}

export function resetDependencyHealthForTests(): void {
  lastOutcome.clear();
}
