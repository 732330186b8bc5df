/**
 * Order confirmation: one inline QR PNG per ticket (attachment with a
 * content_id, referenced as `cid:` in the HTML) and a plain-text alternative.
 */
import { z } from "zod";
import type { MailAttachment } from "../types.ts";
import { details, escapeAll, escapeHtml, layout, oneLine, p, textDetails } from "./html.ts";
import { formatDateTime, formatMoney } from "./format.ts";
import { strings } from "./strings.ts";
import { EventSummary, type Template } from "./types.ts";

const Data = z.object({
  order_id: z.string(),
  buyer_name: z.string().nullish(),
  event: EventSummary,
  total: z.number().int(),
  currency: z.string().length(3),
  tickets: z.array(z.object({
    id: z.string(),
    event_id: z.string(),
    type_name: z.string(),
    attendee_name: z.string().nullish(),
  })).min(1),
});
export type OrderConfirmationData = z.infer<typeof Data>;

export const orderConfirmation: Template<OrderConfirmationData> = {
  schema: Data,
  async render(data, locale, deps) {
    const s = strings(locale);
    const title = data.event.title;
    const when = formatDateTime(data.event.starts_at, data.event.time_zone, locale);
    const summary: Array<[string, string]> = [
      [s.labels.event, title],
      [s.labels.when, when],
      ...(data.event.venue ? [[s.labels.where, data.event.venue] as [string, string]] : []),
      [s.labels.order, data.order_id],
      [s.labels.total, formatMoney(data.total, data.currency, locale)],
    ];
    const attachments: MailAttachment[] = [];
    const ticketHtml: string[] = [];
    const ticketText: string[] = [];
    for (const [index, ticket] of data.tickets.entries()) {
      const n = String(index + 1);
      const cid = `qr-${ticket.id}`;
      attachments.push({
        content: await deps.renderTicketQr({ id: ticket.id, event_id: ticket.event_id }),
        filename: `${s.labels.ticket.toLowerCase()}-${n}.png`,
        type: "image/png",
        disposition: "inline",
        content_id: cid,
      });
      const rows: Array<[string, string]> = [[s.labels.ticket, `${n} · ${ticket.type_name}`]];
      if (ticket.attendee_name) rows.push([s.labels.attendee, ticket.attendee_name]);
      ticketHtml.push(
        `<div style="border-top:1px solid #e4e4e7;padding-top:12px">${details(rows)}` +
          `<img src="cid:${escapeHtml(cid)}" width="220" height="220" alt="${
            escapeHtml(s.confirmation.qrAlt({ n }))
          }" style="display:block;margin:0 0 16px"></div>`,
      );
      ticketText.push(`${textDetails(rows)}\n${s.labels.ticket} id: ${ticket.id}`);
    }
    const vars = { title, name: data.buyer_name ?? "" };
    const html = layout(
      locale,
      s.confirmation.subject(escapeAll(vars)),
      p(s.greeting(escapeAll(vars))) + p(s.confirmation.intro(escapeAll(vars))) +
        details(summary) + p(escapeHtml(s.confirmation.howTo)) + ticketHtml.join("") +
        p(escapeHtml(s.closing)),
    );
    const text = [
      s.greeting(vars),
      s.confirmation.intro(vars),
      textDetails(summary),
      s.confirmation.howTo,
      s.confirmation.textQr,
      ...ticketText,
      s.closing,
    ].join("\n\n");
    return { subject: oneLine(s.confirmation.subject(vars)), html, text, attachments };
  },
};
