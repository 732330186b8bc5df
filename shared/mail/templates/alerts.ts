/** Mail to admins: a chargeback disputed an order (what happened, what to gather). */
import { z } from "zod";
import { details, escapeAll, escapeHtml, layout, oneLine, p, textDetails } from "./html.ts";
import { formatMoney } from "./format.ts";
import type { Template } from "./types.ts";

const ChargebackData = z.object({
  chargeback_id: z.string(),
  payment_id: z.string(),
  order_id: z.string(),
  amount: z.number().int(),
  currency: z.string().length(3),
  tickets_revoked: z.number().int(),
  tickets_used: z.number().int(),
  event_title: z.string(),
});

const STRINGS = {
  es: {
    subject: (v: { title: string }) => `Contracargo en una orden de ${v.title}`,
    intro: "Un comprador desconoció un pago ante su banco. La orden quedó en disputa.",
    evidence: "Las entradas ya usadas quedan como prueba de asistencia; las demás fueron anuladas.",
    labels: ["Contracargo (Mercado Pago)", "Pago", "Orden", "Monto", "Anuladas", "Usadas"],
  },
  en: {
    subject: (v: { title: string }) => `Chargeback on an order for ${v.title}`,
    intro: "A buyer disputed a payment with their bank. The order is now disputed.",
    evidence: "Tickets already used are kept as evidence of attendance; the others were revoked.",
    labels: ["Chargeback (Mercado Pago)", "Payment", "Order", "Amount", "Revoked", "Used"],
  },
} as const;

export const chargebackAlert: Template<z.infer<typeof ChargebackData>> = {
  schema: ChargebackData,
  render(data, locale) {
    const s = STRINGS[locale];
    const amount = formatMoney(data.amount, data.currency, locale);
    const values = [
      data.chargeback_id,
      data.payment_id,
      data.order_id,
      amount,
      String(data.tickets_revoked),
      String(data.tickets_used),
    ];
    const rows = s.labels.map((label, i): [string, string] => [label, values[i]]);
    const vars = { title: data.event_title };
    return {
      subject: oneLine(s.subject(vars)),
      html: layout(
        locale,
        s.subject(escapeAll(vars)),
        p(escapeHtml(s.intro)) + details(rows) + p(escapeHtml(s.evidence)),
      ),
      text: [s.intro, textDetails(rows), s.evidence].join("\n\n"),
    };
  },
};
