/** The door: online validation, offline batch upload, scanner sync. */
import { z } from "zod";
import { createRoute } from "../../shared/routing.ts";
import type { App } from "../../shared/http.ts";
import { requireUser } from "../../shared/auth.ts";
import {
  enforceRateLimit,
  type RateLimiter,
  rateLimiter,
  type RateLimitOptions,
} from "../../shared/cache/mod.ts";
import { db } from "../../shared/db/mod.ts";
import {
  bearerAuth,
  errorResponses,
  jsonBody,
  jsonResponse,
  UuidParam,
} from "../../shared/openapi.ts";
import { doorEventFor } from "../../shared/event_access.ts";
import { applyOfflineBatch } from "./batch_service.ts";
import { checkInAtDoor } from "./checkin_service.ts";
import { scannerSync } from "./sync_service.ts";
import {
  BatchBody,
  BatchResultSchema,
  ScanResultSchema,
  SyncSchema,
  ValidateBody,
} from "./schemas.ts";
import { syncJson } from "./views.ts";
import { scanResult } from "./scan_answer.ts";

export interface DoorLimits {
  /** Online scans per device. A person takes seconds to pass a door; 1,200/min is a burst ceiling. */
  scans: RateLimitOptions;
  /** Online scans per signed-in scanner, all devices together (a shared staff login). */
  scanner: RateLimitOptions;
  /** Offline batch uploads per device. */
  batches: RateLimitOptions;
  /** Offline batch uploads per signed-in scanner. */
  scannerBatches: RateLimitOptions;
}

export const DEFAULT_DOOR_LIMITS: DoorLimits = {
  scans: { limit: 1200, windowSeconds: 60 },
  scanner: { limit: 2400, windowSeconds: 60 },
  batches: { limit: 60, windowSeconds: 60 },
  scannerBatches: { limit: 120, windowSeconds: 60 },
};

const validate = createRoute({
  method: "post",
  path: "/validate",
  tags: ["tickets"],
  summary: "Validate a scanned code and check the ticket in (or out)",
  description: "Scanner, coordinator or admin of the event. A scan result (any `result`) is a 200.",
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: { body: jsonBody(ValidateBody) },
  responses: {
    200: jsonResponse(ScanResultSchema, "The scan result"),
    ...errorResponses(400, 401, 403, 404, 409, 429, 503),
  },
});

const batch = createRoute({
  method: "post",
  path: "/validate/batch",
  tags: ["tickets"],
  summary: "Upload scans made offline; applied in scan-time order, conflicts reported",
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: { body: jsonBody(BatchBody) },
  responses: {
    200: jsonResponse(BatchResultSchema, "One item per scan, in upload order"),
    ...errorResponses(400, 401, 403, 404, 429, 503),
  },
});

const sync = createRoute({
  method: "get",
  path: "/events/{event_id}/scanner-sync",
  tags: ["tickets"],
  summary: "Keys, ticket types and ticket changes since a cursor, for offline scanning",
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: {
    params: z.object({ event_id: UuidParam }),
    query: z.object({
      since: z.string().max(200).optional(),
      limit: z.coerce.number().int().min(1).max(5000).default(1000),
    }),
  },
  responses: {
    200: jsonResponse(SyncSchema, "One page; call again with next_cursor while has_more"),
    ...errorResponses(400, 401, 403, 404),
  },
});

/**
 * Scans are counted per signed-in scanner (a new device_id per scan changes
 * nothing) and, within that, per device. Both fail open: the door first.
 */
async function enforceDoor(
  limiters: { perScanner: RateLimiter; perDevice: RateLimiter },
  scannerId: string,
  deviceId: string | undefined,
) {
  const message = "Too many scans from this scanner";
  await enforceRateLimit(limiters.perScanner, scannerId, message);
  await enforceRateLimit(limiters.perDevice, `${scannerId}:${deviceId ?? "-"}`, message);
}

export function registerScanRoutes(app: App, limits: DoorLimits): void {
  // A door's steady stream: take tokens from Redis in batches of ~2% of the limit.
  const reserving = (opts: RateLimitOptions) => ({
    ...opts,
    reserve: Math.max(1, Math.floor(opts.limit / 50)),
  });
  const scanLimiters = {
    perScanner: rateLimiter("tickets-scan-scanner", reserving(limits.scanner)),
    perDevice: rateLimiter("tickets-scan", reserving(limits.scans)),
  };
  const batchLimiters = {
    perScanner: rateLimiter("tickets-batch-scanner", limits.scannerBatches),
    perDevice: rateLimiter("tickets-batch", limits.batches),
  };
  app.openapi(validate, async (c) => {
    const body = c.req.valid("json");
    const user = c.var.user;
    await enforceDoor(scanLimiters, user.id, body.device_id);
    const answer = await checkInAtDoor(await db(), user, {
      code: body.code,
      eventId: body.event_id,
      scannerId: user.id,
      direction: body.direction,
      gate: body.gate,
      deviceId: body.device_id,
      nonce: body.nonce,
      at: new Date(),
    });
    return c.json(scanResult(answer), 200);
  });
  app.openapi(batch, async (c) => {
    const body = c.req.valid("json");
    const user = c.var.user;
    await enforceDoor(batchLimiters, user.id, body.device_id);
    const sql = await db();
    await doorEventFor(sql, user, body.event_id);
    const report = await applyOfflineBatch(
      sql,
      body.event_id,
      user.id,
      body.scans.map((scan) => ({
        code: scan.code,
        nonce: scan.nonce,
        scannedAt: new Date(scan.scanned_at),
        direction: scan.direction,
        gate: scan.gate,
        deviceId: scan.device_id ?? body.device_id,
        offlineResult: scan.offline_result,
      })),
    );
    const items = report.items.map((item) => ({
      ...item,
      outcome: item.outcome ? scanResult(item.outcome) : null,
    }));
    const conflicts = items.flatMap((item) => item.outcome?.conflict ? [item.outcome] : []);
    return c.json({ items, summary: report.summary, conflicts }, 200);
  });
  app.openapi(sync, async (c) => {
    const { event_id } = c.req.valid("param");
    const { since, limit } = c.req.valid("query");
    const sql = await db();
    const event = await doorEventFor(sql, c.var.user, event_id);
    return c.json(syncJson(await scannerSync(sql, event, since, limit)), 200);
  });
}
