/**
 * The e2e buyer's journey (tests/e2e/scenario.ts) against a production
 * deployment: the buyer pays at (fake) Mercado Pago, which notifies the
 * deployment's webhook with a signed request; the confirmation leaves
 * through (fake) SendGrid.
 */
import assert from "node:assert/strict";
import { browserFetchClient, type Json } from "../e2e/clients.ts";
import { buyAndCheckIn } from "../e2e/scenario.ts";
import type { LogRecord } from "../support/gateway_process.ts";
import { signedNotification } from "../support/purchase_builders.ts";
import { APP_ORIGIN, type ProductionStack } from "./stack.ts";

/** t.step that stops the caller when the step failed: later steps need what it made. */
export const stepper =
  (t: Deno.TestContext) => async (name: string, fn: (s: Deno.TestContext) => Promise<void>) => {
    if (!(await t.step(name, fn))) throw new Error(`step failed: ${name}`);
  };

/** Approves the order's payment at the fake and delivers the signed notification to `origin`. */
export function payThroughWebhook(stack: ProductionStack, origin: string) {
  return async (order: Json) => {
    assert.match(order.checkout_url, /^https:\/\/www\.mercadopago\.test\/checkout\?pref_id=/);
    const paymentId = stack.mercadoPago.addPayment({
      status: "approved",
      external_reference: order.order_id,
      transaction_amount: order.total / 100,
      currency_id: "ARS",
    });
    const secret = stack.env.MERCADOPAGO_WEBHOOK_SECRET;
    const notification = await signedNotification(paymentId, { secret });
    const response = await fetch(`${origin}/functions/v1${notification.path}`, {
      method: "POST",
      headers: notification.headers,
      body: JSON.stringify(notification.body),
    });
    const body = await response.json();
    assert.equal(response.status, 200, `webhook: ${JSON.stringify(body)}`);
  };
}

/** The mails the fake SendGrid accepted, in the shape the scenario reads. */
export function mailFromSendgrid(stack: ProductionStack) {
  return async (match: (mail: LogRecord) => boolean, timeoutMs: number): Promise<LogRecord> => {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const found = stack.sendgrid.accepted().map((mail): LogRecord => ({
        level: "info",
        msg: "sendgrid",
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        attachments: mail.attachments.map((a) => a.filename),
      })).find(match);
      if (found) return found;
      assert.ok(Date.now() < deadline, `no matching mail within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
}

/** The whole journey through fetch with CORS preflights, as a browser on APP_ORIGIN. */
export async function runJourney(t: Deno.TestContext, stack: ProductionStack, origin: string) {
  const client = browserFetchClient({
    gateway: origin,
    appOrigin: APP_ORIGIN,
    anonKey: stack.anonKey,
  });
  const bought = await buyAndCheckIn({
    client,
    cast: await stack.cast(),
    step: stepper(t),
    pay: payThroughWebhook(stack, origin),
    waitForMail: mailFromSendgrid(stack),
  });
  assert.equal(client.counts.corsChecked, client.counts.requests);
  return bought;
}
