import { z } from "zod";
import { createRoute } from "../../shared/routing.ts";
import { createApp } from "../../shared/http.ts";
import { config } from "../../shared/config.ts";
import { db } from "../../shared/db.ts";
import { cache } from "../../shared/cache.ts";
import { jsonResponse } from "../../shared/openapi.ts";
import { checkReadiness } from "./health_service.ts";

const Check = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
const Readiness = z.object({
  status: z.enum(["ready", "unavailable"]),
  checks: z.object({ database: Check, redis: Check }),
}).meta({ id: "Readiness" });

const liveness = createRoute({
  method: "get",
  path: "/",
  tags: ["health"],
  summary: "Liveness",
  responses: {
    200: jsonResponse(
      z.object({ status: z.literal("ok"), version: z.string(), time: z.string() }),
      "The function is up",
    ),
  },
});

const readiness = createRoute({
  method: "get",
  path: "/ready",
  tags: ["health"],
  summary: "Readiness: the database and Redis answer",
  responses: {
    200: jsonResponse(Readiness, "Both dependencies answer"),
    503: jsonResponse(Readiness, "A dependency is down; `checks` names it"),
  },
});

export function createHealthApp() {
  const app = createApp("health");
  app.openapi(
    liveness,
    (c) =>
      c.json({
        status: "ok" as const,
        version: config().APP_VERSION,
        time: new Date().toISOString(),
      }),
  );
  app.openapi(readiness, async (c) => {
    const { ready, checks } = await checkReadiness(db, cache());
    return ready
      ? c.json({ status: "ready" as const, checks }, 200)
      : c.json({ status: "unavailable" as const, checks }, 503);
  });
  return app;
}
