/** Every function's app factory, by the name Supabase routes it under. */
import type { App } from "../shared/http.ts";
import { createEventsApp } from "./events/routes.ts";
import { createHealthApp } from "./health/routes.ts";
import { createNotificationsApp } from "./notifications/routes.ts";
import { createPurchasesApp } from "./purchases/routes.ts";
import { createQueueApp } from "./queue/routes.ts";
import { createTicketsApp } from "./tickets/routes.ts";

export const FUNCTIONS: Record<string, () => App> = {
  health: createHealthApp,
  tickets: createTicketsApp,
  events: createEventsApp,
  notifications: createNotificationsApp,
  purchases: createPurchasesApp,
  queue: createQueueApp,
};
