/**
 * The notice to a buyer whose order awaited a slow payment (a cash voucher,
 * ATM payment or transfer) that did not come in time: the held tickets went
 * back on sale, and a payment arriving later still gets tickets or a refund.
 */
import { z } from "zod";
import { details, escapeAll, escapeHtml, layout, oneLine, p, textDetails } from "./html.ts";
import { formatDateTime } from "./format.ts";
import { strings } from "./strings.ts";
import { EventSummary, type Template } from "./types.ts";

const EndedData = z.object({
  order_id: z.string(),
  buyer_name: z.string().nullish(),
  event: EventSummary,
  /** The order's slow-payment deadline (ISO 8601). */
  deadline: z.string(),
});

export const awaitingPaymentEnded: Template<z.infer<typeof EndedData>> = {
  schema: EndedData,
  render(data, locale) {
    const s = strings(locale);
    const deadline = formatDateTime(data.deadline, data.event.time_zone, locale);
    const vars = { title: data.event.title, name: data.buyer_name ?? "", deadline };
    const rows: Array<[string, string]> = [
      [s.labels.event, data.event.title],
      [s.labels.order, data.order_id],
    ];
    return {
      subject: oneLine(s.lapsed.subject(vars)),
      html: layout(
        locale,
        s.lapsed.subject(escapeAll(vars)),
        p(s.greeting(escapeAll(vars))) + p(s.lapsed.intro(escapeAll(vars))) + details(rows) +
          p(escapeHtml(s.lapsed.note)) + p(escapeHtml(s.closing)),
      ),
      text: [s.greeting(vars), s.lapsed.intro(vars), textDetails(rows), s.lapsed.note, s.closing]
        .join("\n\n"),
    };
  },
};
