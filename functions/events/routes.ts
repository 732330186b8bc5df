/**
 * The events function: the public catalog, and the admin/coordinator surface
 * (events, ticket types, staff, stats). Event-scoped permissions go through
 * shared/event_access.ts; admin-only routes use requireRole("admin").
 */
import { createRoute } from "../../shared/routing.ts";
import { type AuthUser, optionalUser, requireRole, requireUser } from "../../shared/auth.ts";
import { db } from "../../shared/db/mod.ts";
import { forbidden, unauthorized } from "../../shared/errors.ts";
import { assertEventRole, ORGANIZER_ROLES } from "../../shared/event_access.ts";
import { type App, type AppContext, createApp } from "../../shared/http.ts";
import { bearerAuth, errorResponses, jsonBody, jsonResponse } from "../../shared/openapi.ts";
import { getEventDetail, listEvents } from "./catalog_service.ts";
import { createEvent, deleteEvent, updateEvent } from "./event_service.ts";
import {
  CreateEventBody,
  Event,
  EventDetail,
  EventIdParams,
  EventPage,
  EventRefParams,
  ListQuery,
  UpdateEventBody,
} from "./schemas.ts";
import { registerCancellationRoutes } from "./cancellation_routes.ts";
import { registerStaffRoutes } from "./staff_routes.ts";
import { registerTicketTypeRoutes } from "./ticket_type_routes.ts";

const tags = ["events"];
/** Public routes: a token is optional and only widens what is visible. */
const optionalBearer = [{}, ...bearerAuth];

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "List events (published; admins may ask for other statuses)",
  security: optionalBearer,
  middleware: [optionalUser],
  request: { query: ListQuery },
  responses: {
    200: jsonResponse(EventPage, "A page of events and the cursor of the next one"),
    ...errorResponses(400, 401, 403),
  },
});

const detailRoute = createRoute({
  method: "get",
  path: "/{id}",
  tags,
  summary: "An event by id or slug, with its active ticket types and live availability",
  security: optionalBearer,
  middleware: [optionalUser],
  request: { params: EventRefParams },
  responses: {
    200: jsonResponse(EventDetail, "The event"),
    ...errorResponses(400, 401, 404),
  },
});

const createEventRoute = createRoute({
  method: "post",
  path: "/",
  tags,
  summary: "Create an event (admin)",
  security: bearerAuth,
  middleware: [requireRole("admin")],
  request: { body: jsonBody(CreateEventBody) },
  responses: {
    201: jsonResponse(Event, "The new event"),
    ...errorResponses(400, 401, 403, 409),
  },
});

const updateEventRoute = createRoute({
  method: "put",
  path: "/{id}",
  tags,
  summary: "Update an event, partially (admin, coordinator); status=cancelled is " +
    "POST /events/{id}/cancel (admin)",
  security: bearerAuth,
  middleware: [requireUser],
  request: { params: EventIdParams, body: jsonBody(UpdateEventBody) },
  responses: {
    200: jsonResponse(Event, "The updated event"),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const deleteEventRoute = createRoute({
  method: "delete",
  path: "/{id}",
  tags,
  summary: "Delete an event without orders (admin)",
  security: bearerAuth,
  middleware: [requireRole("admin")],
  request: { params: EventIdParams },
  responses: {
    204: { description: "Deleted" },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

/** The signed-in user, or undefined on a route with optionalUser. */
export function maybeUser(c: AppContext): AuthUser | undefined {
  return c.get("user") as AuthUser | undefined;
}

/** Lists other than published ones are an admin's view. */
function assertMayListStatus(user: AuthUser | undefined, status: string | undefined): void {
  if (!status || status === "published") return;
  if (!user) throw unauthorized();
  if (!user.isAdmin) throw forbidden("Only admins may list unpublished events");
}

function registerEventRoutes(app: App): void {
  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    assertMayListStatus(maybeUser(c), query.status);
    return c.json(await listEvents(await db(), query), 200);
  });
  app.openapi(detailRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await getEventDetail(await db(), id, maybeUser(c)), 200);
  });
  app.openapi(createEventRoute, async (c) => {
    const event = await createEvent(await db(), c.var.user.id, c.req.valid("json"));
    return c.json(event, 201);
  });
  app.openapi(updateEventRoute, async (c) => {
    const { id } = c.req.valid("param");
    const sql = await db();
    await assertEventRole(sql, c.var.user, id, ORGANIZER_ROLES);
    const patch = c.req.valid("json");
    // Cancelling refunds every buyer: an admin's decision, as POST /events/{id}/cancel.
    if (patch.status === "cancelled" && !c.var.user.isAdmin) {
      throw forbidden("Only admins may cancel an event");
    }
    return c.json(await updateEvent(sql, c.var.user.id, id, patch), 200);
  });
  app.openapi(deleteEventRoute, async (c) => {
    await deleteEvent(await db(), c.var.user.id, c.req.valid("param").id);
    return c.body(null, 204);
  });
}

export function createEventsApp(): App {
  const app = createApp("events");
  registerEventRoutes(app);
  registerTicketTypeRoutes(app);
  registerStaffRoutes(app);
  registerCancellationRoutes(app);
  return app;
}
