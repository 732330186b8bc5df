/**
 * /events/{id}/staff (admins assign; the event's coordinators may look) and
 * /events/{id}/stats (admins and the event's coordinators).
 */
import { z } from "zod";
import { createRoute } from "../../shared/routing.ts";
import { requireRole, requireUser } from "../../shared/auth.ts";
import { db } from "../../shared/db/mod.ts";
import { assertEventRole, ORGANIZER_ROLES } from "../../shared/event_access.ts";
import type { App } from "../../shared/http.ts";
import { bearerAuth, errorResponses, jsonBody, jsonResponse } from "../../shared/openapi.ts";
import { EventIdParams, EventStats, StaffBody, StaffMember, StaffParams } from "./schemas.ts";
import { assignStaff, listStaff, removeStaff } from "./staff_service.ts";
import { getEventStats } from "./stats_service.ts";

const staff = { tags: ["event staff"], security: bearerAuth };

const listRoute = createRoute({
  ...staff,
  method: "get",
  path: "/{id}/staff",
  summary: "The event's scanners and coordinators (admin, coordinator)",
  middleware: [requireUser],
  request: { params: EventIdParams },
  responses: {
    200: jsonResponse(z.object({ items: z.array(StaffMember) }), "The staff"),
    ...errorResponses(400, 401, 403, 404),
  },
});

const assignRoute = createRoute({
  ...staff,
  method: "post",
  path: "/{id}/staff",
  summary: "Make a user scanner or coordinator of the event, or change their role (admin)",
  middleware: [requireRole("admin")],
  request: { params: EventIdParams, body: jsonBody(StaffBody) },
  responses: {
    201: jsonResponse(StaffMember, "Assigned"),
    200: jsonResponse(StaffMember, "Role changed"),
    ...errorResponses(400, 401, 403, 404),
  },
});

const removeRoute = createRoute({
  ...staff,
  method: "delete",
  path: "/{id}/staff/{user_id}",
  summary: "Remove a user from the event's staff (admin)",
  middleware: [requireRole("admin")],
  request: { params: StaffParams },
  responses: {
    204: { description: "Removed" },
    ...errorResponses(400, 401, 403, 404),
  },
});

const statsRoute = createRoute({
  method: "get",
  path: "/{id}/stats",
  tags: ["events"],
  summary: "Capacity, sold, held, revenue and check-ins per ticket type (admin, coordinator)",
  security: bearerAuth,
  middleware: [requireUser],
  request: { params: EventIdParams },
  responses: {
    200: jsonResponse(EventStats, "The figures, computed now"),
    ...errorResponses(400, 401, 403, 404),
  },
});

export function registerStaffRoutes(app: App): void {
  app.openapi(listRoute, async (c) => {
    const { id } = c.req.valid("param");
    const sql = await db();
    await assertEventRole(sql, c.var.user, id, ORGANIZER_ROLES);
    return c.json({ items: await listStaff(sql, id) }, 200);
  });
  app.openapi(assignRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { user_id, role } = c.req.valid("json");
    const { member, created } = await assignStaff(await db(), c.var.user.id, id, user_id, role);
    return created ? c.json(member, 201) : c.json(member, 200);
  });
  app.openapi(removeRoute, async (c) => {
    const { id, user_id } = c.req.valid("param");
    await removeStaff(await db(), c.var.user.id, id, user_id);
    return c.body(null, 204);
  });
  app.openapi(statsRoute, async (c) => {
    const { id } = c.req.valid("param");
    const sql = await db();
    await assertEventRole(sql, c.var.user, id, ORGANIZER_ROLES);
    return c.json(await getEventStats(sql, id), 200);
  });
}
