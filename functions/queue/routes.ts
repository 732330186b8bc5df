/**
 * The queue function: the waiting room of high-demand on-sales. Staff set it
 * up per event; buyers join, poll their status and, once admitted, buy with
 * the admission token (POST /purchases, `admission_token`).
 */
import { createRoute } from "../../shared/routing.ts";
import { optionalUser, requireUser } from "../../shared/auth.ts";
import { db } from "../../shared/db/mod.ts";
import { createApp } from "../../shared/http.ts";
import { requireScheduler } from "../../shared/scheduler_auth.ts";
import { bearerAuth, errorResponses, jsonBody, jsonResponse } from "../../shared/openapi.ts";
import { admitDue, fairness, joinQueue, queueStatus } from "./queue_service.ts";
import {
  EventParams,
  FairnessResponse,
  SettingsBody,
  SettingsResponse,
  StatusResponse,
  TickResponse,
} from "./schemas.ts";
import { getSettings, putSettings, queuesOnSale } from "./settings_service.ts";

const QUEUE_CODES = "`queue_not_found`, `queue_unavailable` (503, Retry-After)";

const join = createRoute({
  method: "post",
  path: "/{event_id}/join",
  tags: ["waiting room"],
  summary: "Take a place in the event's waiting room (a second join returns the same place)",
  description: "Before starts_at the place is in the pre-queue, ordered by a keyed shuffle at " +
    "the start; later joins are first come, first served. After an admission expired or was " +
    `used, joining again goes to the back. Codes: ${QUEUE_CODES}, \`queue_closed\`, ` +
    "`queue_not_open` (details: opens_at).",
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: { params: EventParams },
  responses: {
    201: jsonResponse(StatusResponse, "Joined"),
    200: jsonResponse(StatusResponse, "Already in the queue: the same place"),
    ...errorResponses(400, 401, 404, 409, 503),
  },
});

const status = createRoute({
  method: "get",
  path: "/{event_id}/status",
  tags: ["waiting room"],
  summary: "Where you stand; an admission token once admitted. Poll every poll_after_seconds",
  description: `Answered from Redis alone. Codes: ${QUEUE_CODES}, \`not_in_queue\`.`,
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: { params: EventParams },
  responses: {
    200: jsonResponse(StatusResponse, "Your place"),
    ...errorResponses(400, 401, 404, 503),
  },
});

const fairnessRoute = createRoute({
  method: "get",
  path: "/{event_id}/fairness",
  tags: ["waiting room"],
  summary: "The pre-queue's commitment: sha256(seed) before the start, the seed after it",
  middleware: [optionalUser] as const,
  request: { params: EventParams },
  responses: {
    200: jsonResponse(FairnessResponse, "The commitment"),
    ...errorResponses(400, 404),
  },
});

const readSettings = createRoute({
  method: "get",
  path: "/{event_id}/settings",
  tags: ["waiting room"],
  summary: "The event's waiting-room settings (admin, the event's coordinators)",
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: { params: EventParams },
  responses: {
    200: jsonResponse(SettingsResponse, "The settings"),
    ...errorResponses(400, 401, 403, 404),
  },
});

const writeSettings = createRoute({
  method: "put",
  path: "/{event_id}/settings",
  tags: ["waiting room"],
  summary: "Turn the waiting room on or off and set it up (admin, the event's coordinators)",
  description: "Off means purchases work as without a queue. The seed is drawn when the " +
    "settings are created; its sha256 is public at once. Codes: `event_not_found`, " +
    "`queue_started` (the start cannot move once passed), `forbidden`.",
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: { params: EventParams, body: jsonBody(SettingsBody) },
  responses: {
    201: jsonResponse(SettingsResponse, "Created"),
    200: jsonResponse(SettingsResponse, "Changed"),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const tick = createRoute({
  method: "post",
  path: "/tick",
  tags: ["waiting room"],
  summary: "Admit whoever is due in every waiting room on sale now (scheduler)",
  description: "Admissions also happen on every join and poll; this step makes them independent " +
    "of polls arriving (an expired window, seats come back). Run every few seconds by pg_cron " +
    "or `deno task worker`. Codes: `unauthorized`, `queue_unavailable` (503).",
  security: bearerAuth,
  middleware: [requireScheduler] as const,
  responses: {
    200: jsonResponse(TickResponse, "What each queue looks like after the step"),
    ...errorResponses(401, 503),
  },
});

export function createQueueApp() {
  const app = createApp("queue");
  app.openapi(tick, async (c) => {
    return c.json({ queues: await admitDue(await queuesOnSale(await db())) }, 200);
  });
  app.openapi(join, async (c) => {
    const { created, status } = await joinQueue(c.req.valid("param").event_id, c.var.user.id);
    return c.json(status, created ? 201 : 200);
  });
  app.openapi(status, async (c) => {
    const result = await queueStatus(c.req.valid("param").event_id, c.var.user.id);
    c.header("cache-control", "no-store");
    return c.json(result, 200);
  });
  app.openapi(fairnessRoute, async (c) => {
    return c.json(await fairness(c.req.valid("param").event_id), 200);
  });
  app.openapi(readSettings, async (c) => {
    const eventId = c.req.valid("param").event_id;
    return c.json(await getSettings(await db(), c.var.user, eventId), 200);
  });
  app.openapi(writeSettings, async (c) => {
    const eventId = c.req.valid("param").event_id;
    const result = await putSettings(await db(), c.var.user, eventId, c.req.valid("json"));
    return c.json(result.settings, result.created ? 201 : 200);
  });
  return app;
}
