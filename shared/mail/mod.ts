/**
 * The public face of shared/mail: what other domains and the notifications
 * function use (nothing outside shared/mail imports its other files). The
 * dispatcher (templates, QR rendering) loads on first dispatch, not when a
 * function that only queues mail boots.
 */
import type { Sql } from "../db/mod.ts";
import type * as Dispatcher from "./dispatcher.ts";

export { type EmailStatus, type EnqueueEmail, enqueueEmail, type Locale } from "./outbox.ts";
export { queueOrderConfirmation, queueRefundNotice, type QueueResult } from "./producers.ts";
export { kickDispatch } from "./kick.ts";
export type { DispatchOptions, DispatchReport } from "./dispatcher.ts";
export { mailBreaker, mailTransport } from "./transport.ts";

/** Sends due outbox rows (see dispatcher.ts). */
export async function dispatchOutbox(
  sql: Sql,
  options?: Dispatcher.DispatchOptions,
): Promise<Dispatcher.DispatchReport> {
  return await (await import("./dispatcher.ts")).dispatchOutbox(sql, options);
}

/** Sends one queued row now (see dispatcher.ts). */
export async function dispatchOne(
  sql: Sql,
  id: string,
  options?: Dispatcher.DispatchOptions,
): ReturnType<typeof Dispatcher.dispatchOne> {
  return await (await import("./dispatcher.ts")).dispatchOne(sql, id, options);
}
