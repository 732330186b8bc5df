/**
 * The current request's deadline, carried through its async work
 * (AsyncLocalStorage), so code far from HTTP — a transaction — can bound
 * itself by it: work a request started stops when its caller has already
 * been answered 503, instead of running on in the background.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { DomainError } from "./errors.ts";

const store = new AsyncLocalStorage<{ expiresAt: number; ms: number }>();

/** Runs `fn` with a deadline `ms` from now for everything it awaits. */
export function withDeadline<T>(ms: number, fn: () => T): T {
  return store.run({ expiresAt: performance.now() + ms, ms }, fn);
}

/** Runs `fn` outside any request's deadline (work that rightly outlives the request). */
export function withoutDeadline<T>(fn: () => T): T {
  return store.exit(fn);
}

/** Milliseconds left before the current request's deadline, or undefined outside a request. */
export function remainingMs(): number | undefined {
  const current = store.getStore();
  return current ? current.expiresAt - performance.now() : undefined;
}

/** Throws deadlineExceeded when the current request's deadline has passed. */
export function assertBeforeDeadline(): void {
  const current = store.getStore();
  if (current && performance.now() >= current.expiresAt) throw deadlineExceeded(current.ms);
}

/** The answer once the deadline has passed: 503, retry in about half the deadline. */
export function deadlineExceeded(ms: number): DomainError {
  return new DomainError(
    "unavailable",
    "The service is temporarily unavailable, please retry",
    { retry_after_seconds: Math.max(1, Math.ceil(ms / 1000 / 2)) },
  );
}
