/** Ticket reads: a user's tickets, one ticket, its QR, and the public verification keys. */
import { z } from "zod";
import { createRoute } from "../../shared/routing.ts";
import type { App } from "../../shared/http.ts";
import { requireUser } from "../../shared/auth.ts";
import { enforceRateLimit, rateLimiter, type RateLimitOptions } from "../../shared/cache/mod.ts";
import { CursorParam } from "../../shared/cursor.ts";
import { db } from "../../shared/db/mod.ts";
import { bearerAuth, errorResponses, jsonResponse, UuidParam } from "../../shared/openapi.ts";
import { publicKeys } from "../../shared/tickets/keys.ts";
import { renderQr } from "../../shared/tickets/qr.ts";
import { getTicket, listUserTickets, ticketCodeFor } from "./ticket_service.ts";
import { PublicKeySchema, TicketSchema } from "./schemas.ts";
import { ticketJson } from "./views.ts";

const keys = createRoute({
  method: "get",
  path: "/keys",
  tags: ["tickets"],
  summary: "Public Ed25519 keys that verify ticket codes (for scanner apps)",
  responses: {
    200: jsonResponse(z.object({ keys: z.array(PublicKeySchema) }), "Active and retired keys"),
  },
});

const userTickets = createRoute({
  method: "get",
  path: "/user/{user_id}",
  tags: ["tickets"],
  summary: "A user's tickets with their events (that user or an admin)",
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: {
    params: z.object({ user_id: UuidParam }),
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(50),
      cursor: CursorParam.optional(),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({ tickets: z.array(TicketSchema), next_cursor: z.string().nullable() }),
      "Newest first; call again with next_cursor until it is null",
    ),
    ...errorResponses(400, 401, 404),
  },
});

const oneTicket = createRoute({
  method: "get",
  path: "/{ticket_id}",
  tags: ["tickets"],
  summary: "One ticket (owner, admin, or staff of its event)",
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: { params: z.object({ ticket_id: UuidParam }) },
  responses: { 200: jsonResponse(TicketSchema, "The ticket"), ...errorResponses(400, 401, 404) },
});

const qr = createRoute({
  method: "get",
  path: "/{ticket_id}/qr",
  tags: ["tickets"],
  summary: "The ticket's QR code as SVG or PNG (owner or admin)",
  security: bearerAuth,
  middleware: [requireUser] as const,
  request: {
    params: z.object({ ticket_id: UuidParam }),
    query: z.object({ format: z.enum(["svg", "png"]).default("svg") }),
  },
  responses: {
    200: {
      description: "The QR image (error correction M)",
      content: {
        "image/svg+xml": { schema: z.string() },
        "image/png": { schema: z.string().meta({ format: "binary" }) },
      },
    },
    ...errorResponses(400, 401, 404, 429, 503),
  },
});

/** Per user: a person shows a QR a few times; a loop rendering them is an attack on the CPU. */
export const DEFAULT_QR_LIMIT: RateLimitOptions = { limit: 60, windowSeconds: 60 };

export function registerReadRoutes(app: App, qrLimit: RateLimitOptions): void {
  // Fails closed: when Upstash cannot be asked, renders stop rather than the CPU.
  const qrLimiter = rateLimiter("tickets-qr", { ...qrLimit, onStoreFailure: "closed" });
  app.openapi(keys, async (c) => c.json({ keys: await publicKeys() }, 200));
  app.openapi(userTickets, async (c) => {
    const { user_id } = c.req.valid("param");
    const page = await listUserTickets(await db(), c.var.user, user_id, c.req.valid("query"));
    return c.json({ tickets: page.tickets.map(ticketJson), next_cursor: page.next_cursor }, 200);
  });
  app.openapi(oneTicket, async (c) => {
    const ticket = await getTicket(await db(), c.var.user, c.req.valid("param").ticket_id);
    return c.json(ticketJson(ticket), 200);
  });
  app.openapi(qr, async (c) => {
    await enforceRateLimit(qrLimiter, c.var.user.id, "Too many QR images");
    const code = await ticketCodeFor(await db(), c.var.user, c.req.valid("param").ticket_id);
    c.header("cache-control", "private, max-age=300");
    if (c.req.valid("query").format === "png") {
      c.header("content-type", "image/png");
      return c.body(await renderQr(code, "png"), 200);
    }
    c.header("content-type", "image/svg+xml; charset=utf-8");
    return c.body(await renderQr(code, "svg"), 200);
  });
}
