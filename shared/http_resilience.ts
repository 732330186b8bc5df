/**
 * What keeps a request's wait bounded and its answer honest when the
 * database or an outside service misbehaves: a deadline for the whole
 * request, and one retry of an idempotent read whose connection was lost.
 */
import type { MiddlewareHandler } from "hono";
import { config } from "./config.ts";
import { deadlineExceeded, withDeadline } from "./deadline.ts";
import { log } from "./log.ts";

/** Set by the error handler on a read that failed only because its connection died. */
export const RETRYABLE_READ_HEADER = "x-crodify-retryable-read";

const IDEMPOTENT_READS = new Set(["GET", "HEAD"]);

export const isIdempotentRead = (method: string) => IDEMPOTENT_READS.has(method.toUpperCase());

/**
 * 503 `unavailable` once REQUEST_DEADLINE_MS has passed, whatever the handler
 * still waits for (a connection from an exhausted pool, a hung provider): the
 * caller gets an answer it can act on. The work left running is bounded by the
 * same deadline where it touches the database (withTx, shared/db/transaction.ts).
 */
export function requestDeadline(): MiddlewareHandler {
  return async function requestDeadline(_c, next) {
    const ms = config().REQUEST_DEADLINE_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(deadlineExceeded(ms)), ms);
    });
    const handled = withDeadline(ms, next);
    // If the deadline wins, a later failure of the abandoned work is no one's to report.
    handled.catch(() => {});
    try {
      await Promise.race([handled, expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}

type Fetch = (request: Request, ...rest: never[]) => Response | Promise<Response>;

/**
 * Wraps an app's fetch so a GET or HEAD whose database connection was lost
 * mid-request (a restart, a failover) runs once more; the pool hands the
 * retry a fresh connection. Writes are never retried here: whether they
 * committed is unknown.
 */
export function retryReadsOnce<F extends Fetch>(fetch: F): F {
  return (async (request: Request, ...rest: never[]) => {
    const first = await fetch(request, ...rest);
    if (!first.headers.has(RETRYABLE_READ_HEADER)) return first;
    first.headers.delete(RETRYABLE_READ_HEADER);
    if (!isIdempotentRead(request.method)) return first;
    await first.body?.cancel();
    log.info("read retried after a lost database connection", {
      method: request.method,
      path: new URL(request.url).pathname,
    });
    const second = await fetch(request, ...rest);
    second.headers.delete(RETRYABLE_READ_HEADER);
    return second;
  }) as F;
}
