/**
 * The simulated checkout, served only while the simulated provider is active
 * (no MERCADOPAGO_ACCESS_TOKEN, not production): a page to approve or reject
 * an order, which posts a signed notification to this function's own webhook.
 */
import { z } from "zod";
import { createRoute } from "../../shared/routing.ts";
import { config } from "../../shared/config.ts";
import { db } from "../../shared/db/mod.ts";
import { DomainError, validationFailed } from "../../shared/errors.ts";
import type { App } from "../../shared/http.ts";
import { errorResponses, jsonResponse } from "../../shared/openapi.ts";
import { isSimulatedPayments } from "../../shared/payments/mod.ts";
import { OrderParams, SimulateBody, SimulateResponse } from "./schemas.ts";
import { simulatorPage } from "./simulator_page.ts";
import { findSimulatableOrder, simulatePayment } from "./simulator_service.ts";

const page = createRoute({
  method: "get",
  path: "/simulate/{order_id}",
  tags: ["purchases (local)"],
  summary: "Simulated checkout page (local development only)",
  request: { params: OrderParams },
  responses: {
    200: { description: "An HTML page", content: { "text/html": { schema: z.string() } } },
    ...errorResponses(404),
  },
});

const pay = createRoute({
  method: "post",
  path: "/simulate/{order_id}",
  tags: ["purchases (local)"],
  summary: "Approve, reject, leave pending (a cash voucher) or refund an order at the " +
    "simulated provider",
  description: "Creates a simulated payment and sends the signed notification Mercado Pago " +
    "would send to POST /purchases/webhook. A form post is redirected to the app's back URL.",
  request: {
    params: OrderParams,
    // Not `required`: with two media types, a required body would be validated as both.
    body: {
      required: false,
      content: {
        "application/json": { schema: SimulateBody },
        "application/x-www-form-urlencoded": { schema: SimulateBody },
      },
    },
  },
  responses: {
    200: jsonResponse(SimulateResponse, "The payment and the order's status afterwards"),
    303: { description: "Form post: redirect to the app's back URL" },
    ...errorResponses(400, 404, 409),
  },
});

function assertSimulatorEnabled(): void {
  if (!isSimulatedPayments()) throw new DomainError("not_found", "No such route");
}

export function registerSimulatorRoutes(app: App): void {
  app.openapi(page, async (c) => {
    assertSimulatorEnabled();
    const order = await findSimulatableOrder(await db(), c.req.valid("param").order_id);
    return c.html(simulatorPage(order), 200);
  });
  app.openapi(pay, async (c) => {
    assertSimulatorEnabled();
    const orderId = c.req.valid("param").order_id;
    const isForm = !c.req.header("content-type")?.includes("json");
    const { status } = isForm ? c.req.valid("form") : c.req.valid("json");
    if (!status) {
      throw validationFailed([{ path: ["status"], message: "Required" }]);
    }
    const notification = await simulatePayment(await db(), orderId, status);
    // The same path a real notification takes: signature, inbox, provider re-read, apply.
    const delivered = await app.request(notification.path, {
      method: "POST",
      headers: notification.headers,
      body: JSON.stringify(notification.body),
    });
    if (!delivered.ok) throw new Error(`webhook answered ${delivered.status}`);
    const order = await findSimulatableOrder(await db(), orderId);
    if (isForm) {
      const result = order.status === "paid"
        ? "success"
        : order.status === "awaiting_payment" || status === "pending"
        ? "pending"
        : "failure";
      return c.redirect(`${config().PUBLIC_APP_URL}/orders/${orderId}?result=${result}`, 303);
    }
    return c.json({
      order_id: orderId,
      payment_id: notification.payment_id,
      order_status: order.status,
    }, 200);
  });
}
