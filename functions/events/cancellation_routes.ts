/**
 * POST /events/{id}/cancel and GET /events/{id}/cancellation (admins): cancel
 * an event, then watch its refunds go out.
 */
import { z } from "zod";
import { createRoute } from "../../shared/routing.ts";
import { requireRole } from "../../shared/auth.ts";
import { db } from "../../shared/db/mod.ts";
import type { App } from "../../shared/http.ts";
import { bearerAuth, errorResponses, jsonResponse } from "../../shared/openapi.ts";
import { cancelEvent, cancellationProgress } from "./cancellation_service.ts";
import { EventIdParams } from "./schemas.ts";

const count = z.number().int().min(0);

export const CancellationProgress = z.object({
  event_id: z.uuid(),
  title: z.string(),
  status: z.enum(["running", "done"]).meta({
    description: "running until every paid order's refund was accepted by Mercado Pago",
  }),
  started_at: z.iso.datetime(),
  finished_at: z.iso.datetime().nullable(),
  orders: z.object({
    total: count.meta({ description: "Orders paid when the event was cancelled" }),
    refunded: count,
    skipped: count.meta({ description: "Refunded or disputed before their turn came" }),
    retrying: count.meta({ description: "Failed once or more; retried with backoff" }),
    remaining: count.meta({ description: "Not done yet (retrying included)" }),
  }),
  refunded_amount: count.meta({ description: "Minor units of the event's currency" }),
  currency: z.string().length(3),
  tickets_revoked: count,
  buyers_mailed: count,
  last_error: z.string().nullable(),
}).meta({ id: "CancellationProgress" });

const CancelResponse = CancellationProgress.extend({
  replayed: z.boolean().meta({ description: "The event was cancelled already" }),
}).meta({ id: "CancelResponse" });

const tags = ["events"];

const cancelRoute = createRoute({
  method: "post",
  path: "/{id}/cancel",
  tags,
  summary: "Cancel an event and refund every paid order (admin)",
  description: "Sales stop when this answers: new holds are refused, pending orders are " +
    "cancelled, every ticket is revoked (the door answers `revoked`, and so does the next " +
    "scanner sync), the waiting room closes and each buyer is mailed once. Every paid order " +
    "is then refunded through Mercado Pago by the sweep, in batches; follow it at " +
    "GET /events/{id}/cancellation. Idempotent: a second call returns the progress.",
  security: bearerAuth,
  middleware: [requireRole("admin")],
  request: { params: EventIdParams },
  responses: {
    202: jsonResponse(CancelResponse, "Cancelled; refunds under way (or done)"),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const progressRoute = createRoute({
  method: "get",
  path: "/{id}/cancellation",
  tags,
  summary: "How far the refunds of a cancelled event got (admin)",
  security: bearerAuth,
  middleware: [requireRole("admin")],
  request: { params: EventIdParams },
  responses: {
    200: jsonResponse(CancellationProgress, "The progress, counted now"),
    ...errorResponses(400, 401, 403, 404),
  },
});

export function registerCancellationRoutes(app: App): void {
  app.openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { progress, replayed } = await cancelEvent(await db(), c.var.user.id, id);
    return c.json({ ...progress, replayed }, 202);
  });
  app.openapi(progressRoute, async (c) => {
    return c.json(await cancellationProgress(await db(), c.req.valid("param").id), 200);
  });
}
