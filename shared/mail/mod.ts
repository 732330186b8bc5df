/** The public face of shared/mail: what other domains and the notifications function use. */
export { enqueueEmail, type EnqueueEmail, type Locale } from "./outbox.ts";
export {
  queueEventCancelledNotices,
  queueOrderConfirmation,
  type QueueResult,
  queueRefundNotice,
} from "./producers.ts";
export { kickDispatch } from "./kick.ts";
export { dispatchOne, dispatchOutbox, type DispatchOptions, type DispatchReport } from "./dispatcher.ts";
export { clearSentMail, sentMail } from "./logging_transport.ts";
export { mailBreaker, mailTransport } from "./transport.ts";
