import { z } from "zod";
import { createRoute } from "../../shared/routing.ts";
import { createApp } from "../../shared/http.ts";
import { db } from "../../shared/db/mod.ts";
import { requireRole } from "../../shared/auth.ts";
import { requireScheduler } from "../../shared/scheduler_auth.ts";
import { dispatchOutbox } from "../../shared/mail/mod.ts";
import {
  bearerAuth,
  errorResponses,
  jsonBody,
  jsonResponse,
  UuidParam,
} from "../../shared/openapi.ts";
import {
  listOutbox,
  type OutboxEntry,
  requeueEmail,
  sendTestEmail,
} from "./notifications_service.ts";

const tags = ["notifications"];
const Status = z.enum(["queued", "sending", "sent", "failed"]);

const DispatchReport = z.object({
  claimed: z.number().int(),
  sent: z.number().int(),
  retried: z.number().int(),
  failed: z.number().int(),
  released: z.number().int(),
  breaker: z.enum(["closed", "open", "half_open"]),
  stopped_by: z.enum(["breaker_open", "rate_limited", "time_budget", "max_emails"]).nullable(),
}).meta({ id: "DispatchReport" });

const TestEmailReport = z.object({
  outbox_id: z.uuid(),
  status: z.string(),
  transport: z.string().meta({ example: "sendgrid" }),
  accepted: z.boolean(),
  provider_status: z.number().int().nullable(),
  message_id: z.string().nullable(),
  error: z.string().nullable(),
}).meta({ id: "TestEmailReport" });

const OutboxEmail = z.object({
  id: z.uuid(),
  recipient: z.string(),
  template: z.string(),
  locale: z.enum(["es", "en"]),
  status: Status,
  attempts: z.number().int(),
  max_attempts: z.number().int(),
  next_attempt_at: z.string(),
  last_error: z.string().nullable(),
  provider_message_id: z.string().nullable(),
  created_at: z.string(),
  sent_at: z.string().nullable(),
}).meta({ id: "OutboxEmail" });

const dispatch = createRoute({
  method: "post",
  path: "/dispatch",
  tags,
  summary: "Send due mail from the outbox (scheduler)",
  description: "Authorised by `Authorization: Bearer <SCHEDULER_SECRET>`, an " +
    "`x-scheduler-secret` header, a secret API key (`sb_secret_…`, as `apikey` or bearer) or " +
    "the service-role key. pg_cron calls it every minute.",
  security: bearerAuth,
  middleware: [requireScheduler] as const,
  responses: { 200: jsonResponse(DispatchReport, "What this pass did"), ...errorResponses(401) },
});

const testEmail = createRoute({
  method: "post",
  path: "/test-email",
  tags,
  summary: "Send a test email through the real path (admin)",
  security: bearerAuth,
  middleware: [requireRole("admin")] as const,
  request: {
    body: jsonBody(
      z.object({ to: z.email().max(320), locale: z.enum(["es", "en"]).default("es") }),
    ),
  },
  responses: {
    200: jsonResponse(TestEmailReport, "The provider accepted the mail"),
    ...errorResponses(400, 401, 403, 502),
  },
});

const listEmails = createRoute({
  method: "get",
  path: "/outbox",
  tags,
  summary: "List outbox emails by status, newest first (admin)",
  security: bearerAuth,
  middleware: [requireRole("admin")] as const,
  request: {
    query: z.object({
      status: Status.default("failed"),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ emails: z.array(OutboxEmail) }), "Matching emails"),
    ...errorResponses(400, 401, 403),
  },
});

const requeue = createRoute({
  method: "post",
  path: "/outbox/{id}/requeue",
  tags,
  summary: "Re-queue a failed email with a fresh set of attempts (admin)",
  security: bearerAuth,
  middleware: [requireRole("admin")] as const,
  request: { params: z.object({ id: UuidParam }) },
  responses: {
    200: jsonResponse(OutboxEmail, "The email, queued again"),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);
function toJson(row: OutboxEntry) {
  return {
    ...row,
    next_attempt_at: row.next_attempt_at.toISOString(),
    created_at: row.created_at.toISOString(),
    sent_at: iso(row.sent_at),
  };
}

export function createNotificationsApp() {
  const app = createApp("notifications");
  app.openapi(dispatch, async (c) => c.json(await dispatchOutbox(await db()), 200));
  app.openapi(testEmail, async (c) => {
    const { to, locale } = c.req.valid("json");
    return c.json(await sendTestEmail(await db(), { to, locale, actorId: c.var.user.id }), 200);
  });
  app.openapi(listEmails, async (c) => {
    const rows = await listOutbox(await db(), c.req.valid("query"));
    return c.json({ emails: rows.map(toJson) }, 200);
  });
  app.openapi(requeue, async (c) => {
    const row = await requeueEmail(await db(), c.req.valid("param").id, c.var.user.id);
    return c.json(toJson(row), 200);
  });
  return app;
}
