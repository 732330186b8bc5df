/** The public face of shared/mail: what other domains and the notifications function use. */
export { type EnqueueEmail, enqueueEmail, type Locale } from "./outbox.ts";
export {
  queueEventCancelledNotices,
  queueOrderConfirmation,
  queueRefundNotice,
  type QueueResult,
} from "./producers.ts";
export { kickDispatch } from "./kick.ts";
export {
  dispatchOne,
  type DispatchOptions,
  dispatchOutbox,
  type DispatchReport,
} from "./dispatcher.ts";
export { clearSentMail, sentMail } from "./logging_transport.ts";
export { mailBreaker, mailTransport } from "./transport.ts";
