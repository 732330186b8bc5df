/**
 * The local default when no SendGrid key is set: prints each mail as a JSON
 * log line and keeps the last ones in memory, so `deno task dev`, tests and
 * e2e runs can read what "was sent" without an account.
 */
import { log } from "../log.ts";
import type { MailMessage, MailTransport, SendResult } from "./types.ts";

export interface LoggedMail extends MailMessage {
  messageId: string;
  at: string;
}

const MAX_KEPT = 200;
const kept: LoggedMail[] = [];

export const loggingTransport: MailTransport = {
  name: "log",
  send(message: MailMessage): Promise<SendResult> {
    const messageId = `log-${crypto.randomUUID()}`;
    kept.push({ ...message, messageId, at: new Date().toISOString() });
    if (kept.length > MAX_KEPT) kept.splice(0, kept.length - MAX_KEPT);
    log.info("email (logging transport, not sent)", {
      to: message.to,
      subject: message.subject,
      text: message.text,
      attachments: message.attachments?.map((a) => `${a.filename} (${a.content.length} B)`),
      message_id: messageId,
    });
    return Promise.resolve({ outcome: "sent", status: 202, messageId });
  },
};

/** The mails the logging transport recorded, oldest first (optionally for one recipient). */
export function sentMail(to?: string): LoggedMail[] {
  return kept.filter((mail) => to === undefined || mail.to === to);
}

export function clearSentMail(): void {
  kept.length = 0;
}
