import { z } from "zod";
import { createRoute } from "../../shared/routing.ts";
import { createApp } from "../../shared/http.ts";
import { config } from "../../shared/config.ts";
import { db } from "../../shared/db/mod.ts";
import { cache } from "../../shared/cache/mod.ts";
import { jsonResponse } from "../../shared/openapi.ts";
import { mailBreaker } from "../../shared/mail/mod.ts";
import { recentlyFailing } from "../../shared/dependency_health.ts";
import { checkReadiness } from "./health_service.ts";

const Check = z.object({ ok: z.boolean(), ms: z.number().optional() });
const Optional = z.enum(["redis", "sendgrid", "mercadopago"]);
const Readiness = z.object({
  status: z.enum(["ready", "degraded", "unavailable"]),
  checks: z.object({ database: Check, redis: Check, sendgrid: Check, mercadopago: Check }),
  degraded: z.array(Optional),
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
  summary: "Readiness: 503 only when the database does not answer",
  responses: {
    200: jsonResponse(
      Readiness,
      "The database answers; `status` is `degraded` when an optional dependency (Redis, SendGrid, Mercado Pago) does not, and `degraded` names it",
    ),
    503: jsonResponse(Readiness, "The database does not answer: this instance cannot serve"),
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
    const readiness = await checkReadiness({
      database: db,
      redis: cache(),
      mailBreaker: () => config().SENDGRID_API_KEY ? mailBreaker().state : undefined,
      paymentsFailing: () => recentlyFailing("mercadopago"),
    });
    return readiness.status === "unavailable" ? c.json(readiness, 503) : c.json(readiness, 200);
  });
  return app;
}
