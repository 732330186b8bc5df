/**
 * Runs a transaction again when it lost a lock wait (lock_timeout 55P03, a
 * deadlock 40P01): under a burst of payment notifications for orders of
 * many tickets, one of them may wait past lock_timeout for a row another is
 * updating. A few tries with full-jitter backoff (shared/retry.ts) let it
 * finish in the same request instead of waiting minutes for the sweep, while
 * every try stays bounded by its own lock_timeout.
 */
import { retry, RetryExhaustedError } from "../retry.ts";

const LOCK_LOST = new Set(["55P03", "40P01"]);

export function isLockTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && LOCK_LOST.has(code);
}

export interface LockRetryOptions {
  /** Tries in all, the first included. */
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
}

/** `run` (a whole transaction), tried again on a lost lock wait only. */
export function retryOnLockTimeout<T>(
  run: () => Promise<T>,
  { attempts = 3, baseMs = 100, maxMs = 800 }: LockRetryOptions = {},
): Promise<T> {
  return retry(() => run(), {
    attempts,
    baseMs,
    maxMs,
    retryOn: isLockTimeout,
  }).catch((error) => {
    // Callers map and record the database's own error, not the retry loop's wrapper.
    throw error instanceof RetryExhaustedError ? error.lastError : error;
  });
}
