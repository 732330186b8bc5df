/** The template registry and the one render entry point the dispatcher uses. */
import type { Locale } from "../outbox.ts";
import type { MailMessage } from "../types.ts";
import { chargebackAlert } from "./alerts.ts";
import { awaitingPaymentEnded } from "./awaiting_payment_ended.ts";
import { orderConfirmation } from "./order_confirmation.ts";
import { eventCancelled, refundNotice, testEmail } from "./notices.ts";
import type { RenderDeps, Template } from "./types.ts";

export type { RenderDeps, RenderedEmail, RenderTicketQr } from "./types.ts";
export { escapeHtml } from "./html.ts";

export const TEMPLATES = {
  order_confirmation: orderConfirmation,
  refund_notice: refundNotice,
  event_cancelled: eventCancelled,
  test_email: testEmail,
  chargeback_alert: chargebackAlert,
  awaiting_payment_ended: awaitingPaymentEnded,
} as const;

export type TemplateName = keyof typeof TEMPLATES;

/** Bad `data` or an unknown template: retrying cannot fix it, so the row fails at once. */
export class TemplateError extends Error {
  override name = "TemplateError";
}

/** Renders an outbox row into a message; throws TemplateError when the row itself is bad. */
export async function renderEmail(
  row: { id?: string; recipient: string; template: string; data: unknown; locale: Locale },
  deps: RenderDeps,
): Promise<MailMessage> {
  const template = (TEMPLATES as Record<string, Template<unknown>>)[row.template];
  if (!template) throw new TemplateError(`unknown template '${row.template}'`);
  const parsed = template.schema.safeParse(row.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TemplateError(
      `bad data for ${row.template}: ${issue.path.join(".")} ${issue.message}`,
    );
  }
  const rendered = await template.render(parsed.data, row.locale, deps);
  return {
    to: row.recipient,
    ...rendered,
    ...(row.id ? { customArgs: { outbox_id: row.id } } : {}),
  };
}
