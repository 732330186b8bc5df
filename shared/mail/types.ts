/** What a transport sends and what it answers, independent of the provider. */

export interface MailAttachment {
  /** Raw bytes; transports encode them as the provider needs. */
  content: Uint8Array;
  filename: string;
  type: string;
  /** `inline` attachments are shown where the HTML references `cid:<content_id>`. */
  disposition: "inline" | "attachment";
  content_id?: string;
}

export interface MailMessage {
  to: string;
  subject: string;
  /** Plain-text alternative, always present (clients without HTML, spam filters). */
  text: string;
  html: string;
  attachments?: MailAttachment[];
  /** Echoed back by the provider's event webhook; we send the outbox id. */
  customArgs?: Record<string, string>;
}

/** The provider's answer, classified once so the dispatcher never reads HTTP codes. */
export type SendResult =
  | { outcome: "sent"; status: number; messageId: string | undefined }
  /** Try again later: 5xx, timeouts, network errors, 429 (with `retryAfterMs`). */
  | { outcome: "retry"; status: number | undefined; error: string; retryAfterMs?: number }
  /** The provider refused this message for good (400, 413, …): retrying cannot help. */
  | { outcome: "failed"; status: number; error: string };

export interface MailTransport {
  readonly name: string;
  send(message: MailMessage): Promise<SendResult>;
}
