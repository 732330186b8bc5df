import { z } from "zod";
import type { MailAttachment } from "../types.ts";
import type { Locale } from "../outbox.ts";

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  attachments?: MailAttachment[];
}

/** A ticket's QR as PNG bytes; injected so the ticket code issuer lives in shared/tickets. */
export type RenderTicketQr = (ticket: { id: string; event_id: string }) => Promise<Uint8Array>;

export interface RenderDeps {
  renderTicketQr: RenderTicketQr;
}

export interface Template<T> {
  /** Validates the row's `data` (it is jsonb an admin may have edited). */
  schema: z.ZodType<T>;
  render(data: T, locale: Locale, deps: RenderDeps): Promise<RenderedEmail> | RenderedEmail;
}

/** The event fields the templates show. */
export const EventSummary = z.object({
  id: z.string(),
  title: z.string(),
  venue: z.string().default(""),
  starts_at: z.string(),
  time_zone: z.string().default("UTC"),
});
