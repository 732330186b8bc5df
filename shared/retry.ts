/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"): the delay before retry n is uniform in
 * [0, min(maxMs, baseMs * 2^n)], so clients that failed together do not
 * retry together. Everything is bounded: the delay by maxMs, the loop by attempts.
 */

export interface BackoffOptions {
  /** Ceiling of the first retry's delay. */
  baseMs: number;
  /** No delay ever exceeds this. */
  maxMs: number;
  /** Source of randomness in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

/** The delay before retry number `retry` (0 = the first retry). */
export function backoffDelay(retry: number, options: BackoffOptions): number {
  const { baseMs, maxMs, random = Math.random } = options;
  if (!(baseMs >= 0) || !(maxMs >= 0)) throw new RangeError("baseMs and maxMs must be >= 0");
  // 2^retry overflows to Infinity past ~1023; Math.min keeps the ceiling finite.
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry));
  return Math.floor(random() * ceiling);
}

export interface RetryOptions<T> extends BackoffOptions {
  /** Total tries, the first included. */
  attempts: number;
  /** Whether a thrown error is worth another try (default: every error). */
  retryOn?: (error: unknown) => boolean;
  /** A result that should be retried as if it had failed (e.g. a 503 response). */
  retryResult?: (value: T) => boolean;
  /** A server-given wait (Retry-After) that overrides the computed delay. */
  retryAfterMs?: (errorOrValue: unknown) => number | undefined;
  sleep?: (ms: number) => Promise<void>;
}

export class RetryExhaustedError extends Error {
  override name = "RetryExhaustedError";
  constructor(readonly attempts: number, readonly lastError: unknown) {
    super(`gave up after ${attempts} attempts`);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` until it succeeds or `attempts` tries are spent, waiting a
 * full-jitter backoff between tries. Non-retryable errors propagate at once.
 * A result matched by `retryResult` on the last try is returned as is.
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions<T>,
): Promise<T> {
  const { attempts, retryOn = () => true, retryResult, retryAfterMs } = options;
  const wait = options.sleep ?? sleep;
  if (!(attempts >= 1)) throw new RangeError("attempts must be >= 1");
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    let outcome: unknown;
    try {
      const value = await fn(attempt);
      if (!retryResult?.(value) || attempt === attempts - 1) return value;
      outcome = value;
    } catch (error) {
      if (!retryOn(error)) throw error;
      lastError = outcome = error;
    }
    if (attempt < attempts - 1) {
      await wait(retryAfterMs?.(outcome) ?? backoffDelay(attempt, options));
    }
  }
  throw new RetryExhaustedError(attempts, lastError);
}
