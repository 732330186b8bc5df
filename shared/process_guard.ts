/**
 * A dependency must never take the process down (DESIGN invariant 8). An
 * error nobody awaited (a driver callback throwing in a timer, a rejected
 * promise left behind by a request that already answered) is logged with what
 * is known about it and the process goes on serving. On Supabase Edge the
 * same listeners keep the isolate from being recycled mid-request.
 */
import { errorFields, log } from "./log.ts";

let installed = false;
let caught = 0;

/** How many errors the guard caught in this process (tests assert none reached it). */
export function guardedErrors(): number {
  return caught;
}

/** Installs the listeners once per process (entry points call it before serving). */
export function guardProcess(): void {
  if (installed) return;
  installed = true;
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    caught++;
    log.error("unhandled rejection (process kept alive)", describe(event.reason));
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    caught++;
    log.error("uncaught error (process kept alive)", describe(event.error ?? event.message));
  });
}

function describe(error: unknown) {
  return {
    ...errorFields(error),
    stack: error instanceof Error ? error.stack?.split("\n").slice(0, 6).join("\n") : undefined,
  };
}
