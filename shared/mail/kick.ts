/**
 * Runs a dispatch right after the commit that queued mail, so a confirmation
 * arrives in seconds instead of at the next scheduled run. On Supabase Edge
 * the work is handed to EdgeRuntime.waitUntil, which keeps the isolate alive
 * after the response; elsewhere it is fire-and-forget. Losing a kick loses
 * nothing: the row stays queued for the scheduled dispatch.
 */
import { config } from "../config.ts";
import { db } from "../db/mod.ts";
import { withoutDeadline } from "../deadline.ts";
import { errorFields, log } from "../log.ts";

interface EdgeRuntimeLike {
  waitUntil(promise: Promise<unknown>): void;
}

let enabledOverride: boolean | undefined;

/** Tests call dispatch directly (DESIGN.md); a background kick would race them. */
export function setKickEnabledForTests(enabled: boolean | undefined): void {
  enabledOverride = enabled;
}

// The dispatcher (templates, QR rendering, transports) loads with the first kick:
// functions that queue mail should not pay for sending it at boot.
async function defaultDispatch(): Promise<unknown> {
  const { dispatchOutbox } = await import("./dispatcher.ts");
  return dispatchOutbox(await db(), { maxEmails: 50 });
}

/** Call after the transaction that queued mail has committed. Never throws. */
export function kickDispatch(
  run: () => Promise<unknown> = defaultDispatch,
): Promise<void> | undefined {
  if (!(enabledOverride ?? config().APP_ENV !== "test")) return undefined;
  // Not bound by the deadline of the request that queued the mail: it has answered already.
  const work = withoutDeadline(run).then(() => {}, (error) => {
    log.warn("kicked email dispatch failed; the scheduler will retry", errorFields(error));
  });
  const runtime = (globalThis as { EdgeRuntime?: EdgeRuntimeLike }).EdgeRuntime;
  runtime?.waitUntil?.(work);
  return work;
}
