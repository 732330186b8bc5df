/** The tickets function: reads and QR images, and the door (validate, offline batch, sync). */
import { createApp } from "../../shared/http.ts";
import type { RateLimitOptions } from "../../shared/cache/mod.ts";
import { DEFAULT_QR_LIMIT, registerReadRoutes } from "./read_routes.ts";
import { DEFAULT_DOOR_LIMITS, type DoorLimits, registerScanRoutes } from "./scan_routes.ts";

export function createTicketsApp(
  options: { limits?: Partial<DoorLimits>; qrLimit?: RateLimitOptions } = {},
) {
  const app = createApp("tickets");
  // Static paths (/keys, /validate) are registered before /{ticket_id} so they win.
  registerScanRoutes(app, { ...DEFAULT_DOOR_LIMITS, ...options.limits });
  registerReadRoutes(app, options.qrLimit ?? DEFAULT_QR_LIMIT);
  return app;
}
