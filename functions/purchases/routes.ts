/**
 * The purchases function: buy tickets (a hold + a checkout preference), read
 * an order's status, refund it (admins), and (webhook_routes.ts) Mercado
 * Pago's notifications and the sweep. The local simulated checkout
 * (simulator_routes.ts) is added by the dev gateway only (functions/_dev).
 */
import { createRoute } from "../../shared/routing.ts";
import { requireRole, requireUser } from "../../shared/auth.ts";
import { db } from "../../shared/db/mod.ts";
import { createApp } from "../../shared/http.ts";
import { bearerAuth, errorResponses, jsonBody, jsonResponse } from "../../shared/openapi.ts";
import { paymentProvider } from "../../shared/payments/mod.ts";
import { getOrderStatus } from "./order_service.ts";
import { createPurchase } from "./purchase_service.ts";
import {
  AdminRefundResponse,
  IdempotencyHeaders,
  OrderParams,
  OrderStatusResponse,
  PartialRefundBody,
  PartialRefundResponse,
  PurchaseBody,
  PurchaseResponse,
} from "./schemas.ts";
import { refundOrder } from "./transitions.ts";
import { refundTickets } from "./partial_refund_service.ts";
import { registerWebhookRoutes } from "./webhook_routes.ts";

const purchase = createRoute({
  method: "post",
  path: "/",
  tags: ["purchases"],
  summary: "Reserve tickets and get a Mercado Pago checkout URL",
  description: "Holds the tickets for HOLD_MINUTES. Codes: `sold_out` (details: ticket_type_id, " +
    "available), `max_per_order_exceeded`, `user_limit_exceeded`, `sales_not_open`, " +
    "`sales_closed`, `event_not_on_sale`, `event_not_found`, `ticket_type_not_found`, " +
    "`idempotency_conflict`, `rate_limited`, `payment_provider_unavailable`, `busy`. With the " +
    "event's waiting room on: `admission_required`, `admission_invalid`, `admission_expired`, " +
    "`admission_used`, `admission_wrong_user`, `admission_wrong_event` (403), `hold_exists` " +
    "(409); without it: `hold_limit_exceeded` (429, too many unpaid orders for the event). " +
    "Slow payment methods (cash vouchers, ATM, bank transfers) follow the event's " +
    "`slow_payments`: excluded from the checkout, or offered until `slow_payment_deadline`, " +
    "the order then `awaiting_payment` with its tickets held until the voucher's deadline.",
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: { headers: IdempotencyHeaders, body: jsonBody(PurchaseBody) },
  responses: {
    201: jsonResponse(PurchaseResponse, "The order, pending payment, with its checkout URL"),
    200: jsonResponse(PurchaseResponse, "A replay: the order this Idempotency-Key created"),
    ...errorResponses(400, 401, 403, 404, 409, 413, 429, 502, 503),
  },
});

const status = createRoute({
  method: "get",
  path: "/{order_id}/status",
  tags: ["purchases"],
  summary: "An order's status, items and (once paid) tickets",
  description: "`awaiting_payment`: a cash voucher, ATM payment or transfer is pending; the " +
    "tickets stay held until `expires_at`, and `checkout_url` is null (the buyer pays the " +
    "voucher they have).",
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: { params: OrderParams },
  responses: {
    200: jsonResponse(OrderStatusResponse, "The order"),
    ...errorResponses(400, 401, 404),
  },
});

const refund = createRoute({
  method: "post",
  path: "/{order_id}/refund",
  tags: ["purchases"],
  summary: "Refund a paid order in full (admin)",
  description: "Revokes the order's tickets at once, puts their places back on sale, queues the " +
    "buyer's notice and asks Mercado Pago for the refund (retried by the sweep until accepted). " +
    "Calling it again for a refunded order answers 200 with `Idempotent-Replayed: true`. Codes: " +
    "`order_not_found`, `order_not_refundable` (details: status), `forbidden`, `busy`.",
  security: bearerAuth,
  middleware: [requireRole("admin")] as const,
  request: { params: OrderParams },
  responses: {
    201: jsonResponse(AdminRefundResponse, "Refunded now"),
    200: jsonResponse(AdminRefundResponse, "Refunded already (a replay)"),
    ...errorResponses(400, 401, 403, 404, 409, 503),
  },
});

const refundSome = createRoute({
  method: "post",
  path: "/{order_id}/refunds",
  tags: ["purchases"],
  summary: "Refund some tickets of a paid order (admin)",
  description: "Revokes those tickets at once, puts their places back on sale, asks Mercado " +
    "Pago for their price (a partial refund, retried by the sweep until accepted) and mails " +
    "the buyer; the order is refunded when its last ticket goes. The same tickets again answer " +
    "200 with `Idempotent-Replayed: true`. Codes: `order_not_found`, `order_not_refundable`, " +
    "`tickets_not_refundable` (a ticket not valid or not of this order), `forbidden`, `busy`.",
  security: bearerAuth,
  middleware: [requireRole("admin")] as const,
  request: { params: OrderParams, body: jsonBody(PartialRefundBody) },
  responses: {
    201: jsonResponse(PartialRefundResponse, "Refunded now"),
    200: jsonResponse(PartialRefundResponse, "These tickets were refunded already (a replay)"),
    ...errorResponses(400, 401, 403, 404, 409, 503),
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
      admissionToken: body.admission_token,
    });
    const { replayed, ...response } = order;
    if (replayed) c.header("idempotent-replayed", "true");
    return c.json(response, replayed ? 200 : 201);
  });
  app.openapi(status, async (c) => {
    const order = await getOrderStatus(await db(), c.var.user, c.req.valid("param").order_id);
    return c.json(order, 200);
  });
  app.openapi(refund, async (c) => {
    const { order_id } = c.req.valid("param");
    const result = await refundOrder(await db(), paymentProvider(), c.var.user, order_id);
    const { replayed, ...response } = result;
    if (replayed) c.header("idempotent-replayed", "true");
    return c.json(response, replayed ? 200 : 201);
  });
  app.openapi(refundSome, async (c) => {
    const { order_id } = c.req.valid("param");
    const { ticket_ids } = c.req.valid("json");
    const result = await refundTickets(
      await db(),
      paymentProvider(),
      c.var.user,
      order_id,
      ticket_ids,
    );
    const { replayed, ...response } = result;
    if (replayed) c.header("idempotent-replayed", "true");
    return c.json(response, replayed ? 200 : 201);
  });
  registerWebhookRoutes(app);
  return app;
}
