/**
 * Routes without a user token: Mercado Pago's webhook (signature-checked)
 * and the sweep a scheduler calls (scheduler secret or service-role key).
 */
import { createRoute } from "../../shared/routing.ts";
import { enforceRateLimit, rateLimiter } from "../../shared/cache/mod.ts";
import { config } from "../../shared/config.ts";
import { db } from "../../shared/db/mod.ts";
import { DomainError } from "../../shared/errors.ts";
import type { App } from "../../shared/http.ts";
import { log } from "../../shared/log.ts";
import { requireScheduler } from "../../shared/scheduler_auth.ts";
import { bearerAuth, errorResponses, jsonResponse } from "../../shared/openapi.ts";
import { checkWebhookSignature, paymentProvider } from "../../shared/payments/mod.ts";
import { SweepResponse, WebhookBody, WebhookQuery, WebhookResponse } from "./schemas.ts";
import { runSweep } from "./sweep_service.ts";
import { receiveNotification } from "./webhook_service.ts";

const webhook = createRoute({
  method: "post",
  path: "/webhook",
  tags: ["purchases"],
  summary: "Mercado Pago payment notification (x-signature checked)",
  description: "Stored in the inbox once per notification, then the payment is re-read from " +
    "Mercado Pago and applied. Answers 200 even when processing must be retried later.",
  request: {
    query: WebhookQuery,
    body: { required: false, content: { "application/json": { schema: WebhookBody } } },
  },
  responses: {
    200: jsonResponse(WebhookResponse, "Stored (and processed, or left for a retry)"),
    ...errorResponses(400, 401, 413, 429, 503),
  },
});

const sweep = createRoute({
  method: "post",
  path: "/sweep",
  tags: ["purchases"],
  summary: "Expire old holds, retry failed notifications and refunds (scheduler)",
  description: "Authenticated with the `x-scheduler-secret` header (SCHEDULER_SECRET), a secret " +
    "API key (`sb_secret_…`, as `apikey` or bearer) or the service-role key as bearer token.",
  security: bearerAuth,
  middleware: [requireScheduler] as const,
  responses: {
    200: jsonResponse(SweepResponse, "What this pass did"),
    ...errorResponses(401),
  },
});

/**
 * Per source address. Mercado Pago sends a few notifications per payment; a
 * flood (signed or not) would turn into inbox writes and provider reads, so
 * this limit fails closed: when Upstash cannot be asked, notifications wait
 * (Mercado Pago retries non-2xx answers) rather than the database.
 */
const WEBHOOK_LIMIT = { limit: 1200, windowSeconds: 60, onStoreFailure: "closed" } as const;

/** The client address as the platform's proxy reports it (its first hop), else one bucket. */
const sourceOf = (forwardedFor: string | undefined) =>
  forwardedFor?.split(",")[0].trim().slice(0, 64) || "direct";

export function registerWebhookRoutes(app: App): void {
  const floodLimiter = rateLimiter("webhook", WEBHOOK_LIMIT);
  app.openapi(webhook, async (c) => {
    await enforceRateLimit(floodLimiter, sourceOf(c.req.header("x-forwarded-for")));
    const query = c.req.valid("query");
    const body = c.req.header("content-type")?.includes("json") ? c.req.valid("json") : {};
    const dataId = query["data.id"] ??
      (body.data?.id === undefined ? query.id : String(body.data.id));
    const requestId = c.req.header("x-request-id");
    const failure = await checkWebhookSignature(
      { xSignature: c.req.header("x-signature"), xRequestId: requestId, dataId },
      config().MERCADOPAGO_WEBHOOK_SECRET,
    );
    if (failure) {
      log.warn("webhook signature refused", { reason: failure, request_id: requestId });
      throw new DomainError("invalid_signature", "The notification signature is not valid", {
        reason: failure,
      });
    }
    const topic = body.type ?? query.type ?? query.topic ?? "unknown";
    const result = await receiveNotification(await db(), paymentProvider(), {
      notificationKey: String(body.id ?? `${topic}:${dataId ?? ""}:${requestId ?? ""}`),
      topic,
      resourceId: dataId,
      requestId,
      payload: { query, body },
    });
    return c.json({ received: true as const, ...result }, 200);
  });
  app.openapi(sweep, async (c) => {
    return c.json(await runSweep(await db(), paymentProvider()), 200);
  });
}
