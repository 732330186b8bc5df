/**
 * The purchases function: buy tickets (a hold + a checkout preference), read
 * an order's status, and (webhook_routes.ts) Mercado Pago's notifications, the
 * sweep and the local simulated checkout.
 */
import { createRoute } from "../../shared/routing.ts";
import { requireUser } from "../../shared/auth.ts";
import { db } from "../../shared/db.ts";
import { createApp } from "../../shared/http.ts";
import { bearerAuth, errorResponses, jsonBody, jsonResponse } from "../../shared/openapi.ts";
import { paymentProvider } from "../../shared/payments/mod.ts";
import { getOrderStatus } from "./order_service.ts";
import { createPurchase } from "./purchase_service.ts";
import {
  IdempotencyHeaders,
  OrderParams,
  OrderStatusResponse,
  PurchaseBody,
  PurchaseResponse,
} from "./schemas.ts";
import { registerSimulatorRoutes } from "./simulator_routes.ts";
import { registerWebhookRoutes } from "./webhook_routes.ts";

const purchase = createRoute({
  method: "post",
  path: "/",
  tags: ["purchases"],
  summary: "Reserve tickets and get a Mercado Pago checkout URL",
  description: "Holds the tickets for HOLD_MINUTES. Codes: `sold_out` (details: ticket_type_id, " +
    "available), `max_per_order_exceeded`, `user_limit_exceeded`, `sales_not_open`, " +
    "`sales_closed`, `event_not_on_sale`, `event_not_found`, `ticket_type_not_found`, " +
    "`idempotency_conflict`, `rate_limited`, `payment_provider_unavailable`, `busy`.",
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(PurchaseBody) },
  responses: {
    201: jsonResponse(PurchaseResponse, "The order, pending payment, with its checkout URL"),
    200: jsonResponse(PurchaseResponse, "A replay: the order this Idempotency-Key created"),
    ...errorResponses(400, 401, 404, 409, 413, 429, 502, 503),
  },
});

const status = createRoute({
  method: "get",
  path: "/{order_id}/status",
  tags: ["purchases"],
  summary: "An order's status, items and (once paid) tickets",
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: { params: OrderParams },
  responses: {
    200: jsonResponse(OrderStatusResponse, "The order"),
    ...errorResponses(400, 401, 404),
  },
});

export function createPurchasesApp() {
  const app = createApp("purchases");
  app.openapi(purchase, async (c) => {
    const body = c.req.valid("json");
    const user = c.var.user;
    const order = await createPurchase(await db(), paymentProvider(), {
      buyerId: user.id,
      buyerEmail: user.email,
      eventId: body.event_id,
      items: body.items,
      attendees: body.attendees ?? [],
      idempotencyKey: c.req.valid("header")["idempotency-key"],
    });
    const { replayed, ...response } = order;
    if (replayed) c.header("idempotent-replayed", "true");
    return c.json(response, replayed ? 200 : 201);
  });
  app.openapi(status, async (c) => {
    const order = await getOrderStatus(await db(), c.var.user, c.req.valid("param").order_id);
    return c.json(order, 200);
  });
  registerWebhookRoutes(app);
  registerSimulatorRoutes(app);
  return app;
}
