/** Refund notice, event-cancelled notice and the admin test mail. */
import { z } from "zod";
import { details, escapeAll, escapeHtml, layout, oneLine, p, textDetails } from "./html.ts";
import { formatDateTime, formatMoney } from "./format.ts";
import { strings } from "./strings.ts";
import { EventSummary, type Template } from "./types.ts";

const RefundData = z.object({
  order_id: z.string(),
  buyer_name: z.string().nullish(),
  event: EventSummary,
  amount: z.number().int(),
  currency: z.string().length(3),
});

export const refundNotice: Template<z.infer<typeof RefundData>> = {
  schema: RefundData,
  render(data, locale) {
    const s = strings(locale);
    const amount = formatMoney(data.amount, data.currency, locale);
    const vars = { title: data.event.title, name: data.buyer_name ?? "", amount };
    const rows: Array<[string, string]> = [
      [s.labels.event, data.event.title],
      [s.labels.order, data.order_id],
      [s.labels.amount, amount],
    ];
    const subject = s.refund.subject(vars);
    return {
      subject: oneLine(subject),
      html: layout(
        locale,
        s.refund.subject(escapeAll(vars)),
        p(s.greeting(escapeAll(vars))) + p(s.refund.intro(escapeAll(vars))) + details(rows) +
          p(escapeHtml(s.refund.note)) + p(escapeHtml(s.closing)),
      ),
      text: [s.greeting(vars), s.refund.intro(vars), textDetails(rows), s.refund.note, s.closing]
        .join("\n\n"),
    };
  },
};

const CancelledData = z.object({
  holder_name: z.string().nullish(),
  event: EventSummary,
  ticket_count: z.number().int().min(0),
  /** What the cancellation refunds to this buyer (minor units), when known. */
  refund_amount: z.number().int().min(0).nullish(),
  currency: z.string().length(3).nullish(),
});

export const eventCancelled: Template<z.infer<typeof CancelledData>> = {
  schema: CancelledData,
  render(data, locale) {
    const s = strings(locale);
    const when = formatDateTime(data.event.starts_at, data.event.time_zone, locale);
    const vars = {
      title: data.event.title,
      name: data.holder_name ?? "",
      when,
      count: String(data.ticket_count),
      amount: data.refund_amount && data.currency
        ? formatMoney(data.refund_amount, data.currency, locale)
        : "",
    };
    const tickets = data.ticket_count > 0;
    return {
      subject: oneLine(s.cancelled.subject(vars)),
      html: layout(
        locale,
        s.cancelled.subject(escapeAll(vars)),
        p(s.greeting(escapeAll(vars))) + p(s.cancelled.intro(escapeAll(vars))) +
          (tickets ? p(s.cancelled.tickets(escapeAll(vars))) : "") +
          p(s.cancelled.refund(escapeAll(vars))) + p(escapeHtml(s.closing)),
      ),
      text: [
        s.greeting(vars),
        s.cancelled.intro(vars),
        ...(tickets ? [s.cancelled.tickets(vars)] : []),
        s.cancelled.refund(vars),
        s.closing,
      ].join("\n\n"),
    };
  },
};

const TestData = z.object({ requested_at: z.string() });

export const testEmail: Template<z.infer<typeof TestData>> = {
  schema: TestData,
  render(data, locale) {
    const s = strings(locale);
    const vars = { at: data.requested_at };
    return {
      subject: s.test.subject,
      html: layout(locale, s.test.subject, p(s.test.body(escapeAll(vars)))),
      text: s.test.body(vars),
    };
  },
};
