/** The HTML of the simulated checkout page. */
import type { SimulatableOrder } from "./simulator_service.ts";

const escape = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function simulatorPage(order: SimulatableOrder): string {
  const amount = `${(order.total / 100).toFixed(2)} ${escape(order.currency)}`;
  const button = (status: string, label: string) =>
    `<form method="post"><input type="hidden" name="status" value="${status}">` +
    `<button type="submit">${label}</button></form>`;
  const actions = order.status === "paid"
    ? button("refunded", "Refund the payment")
    : button("approved", "Approve payment") + button("rejected", "Reject payment") +
      button("pending", "Pay with a cash voucher (stays pending)");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Simulated checkout</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto}
form{display:inline-block;margin-right:.5rem}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body>
<h1>Simulated Mercado Pago checkout</h1>
<p>Local development only: no money moves.</p>
<p>Order <code>${escape(order.id)}</code>: <strong>${amount}</strong>, status
<strong>${escape(order.status)}</strong>.</p>
${actions}
</body></html>`;
}
