/** /events/{id}/ticket-types: admins and the event's coordinators. */
import { z } from "zod";
import { createRoute } from "../../shared/routing.ts";
import { requireUser } from "../../shared/auth.ts";
import { db } from "../../shared/db/mod.ts";
import { assertEventRole, ORGANIZER_ROLES } from "../../shared/event_access.ts";
import type { App } from "../../shared/http.ts";
import { bearerAuth, errorResponses, jsonBody, jsonResponse } from "../../shared/openapi.ts";
import {
  CreateTicketTypeBody,
  EventIdParams,
  TicketType,
  TicketTypeParams,
  UpdateTicketTypeBody,
} from "./schemas.ts";
import {
  createTicketType,
  deleteTicketType,
  listTicketTypes,
  updateTicketType,
} from "./ticket_type_service.ts";

const base = {
  tags: ["ticket types"],
  security: bearerAuth,
  middleware: [requireUser],
};

const listRoute = createRoute({
  ...base,
  method: "get",
  path: "/{id}/ticket-types",
  summary: "Every ticket type of the event, inactive ones too, with sold and held",
  request: { params: EventIdParams },
  responses: {
    200: jsonResponse(z.object({ items: z.array(TicketType) }), "The ticket types"),
    ...errorResponses(400, 401, 403, 404),
  },
});

const createTypeRoute = createRoute({
  ...base,
  method: "post",
  path: "/{id}/ticket-types",
  summary: "Add a ticket type",
  request: { params: EventIdParams, body: jsonBody(CreateTicketTypeBody) },
  responses: {
    201: jsonResponse(TicketType, "The new ticket type"),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const updateTypeRoute = createRoute({
  ...base,
  method: "put",
  path: "/{id}/ticket-types/{type_id}",
  summary: "Update a ticket type, partially (capacity ≥ sold + held, else 409)",
  request: { params: TicketTypeParams, body: jsonBody(UpdateTicketTypeBody) },
  responses: {
    200: jsonResponse(TicketType, "The updated ticket type"),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const deleteTypeRoute = createRoute({
  ...base,
  method: "delete",
  path: "/{id}/ticket-types/{type_id}",
  summary: "Delete a ticket type nobody ordered (otherwise deactivate it)",
  request: { params: TicketTypeParams },
  responses: {
    204: { description: "Deleted" },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

export function registerTicketTypeRoutes(app: App): void {
  app.openapi(listRoute, async (c) => {
    const { id } = c.req.valid("param");
    const sql = await db();
    await assertEventRole(sql, c.var.user, id, ORGANIZER_ROLES);
    return c.json({ items: await listTicketTypes(sql, id) }, 200);
  });
  app.openapi(createTypeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const sql = await db();
    await assertEventRole(sql, c.var.user, id, ORGANIZER_ROLES);
    return c.json(await createTicketType(sql, c.var.user.id, id, c.req.valid("json")), 201);
  });
  app.openapi(updateTypeRoute, async (c) => {
    const { id, type_id } = c.req.valid("param");
    const sql = await db();
    await assertEventRole(sql, c.var.user, id, ORGANIZER_ROLES);
    const updated = await updateTicketType(sql, c.var.user.id, id, type_id, c.req.valid("json"));
    return c.json(updated, 200);
  });
  app.openapi(deleteTypeRoute, async (c) => {
    const { id, type_id } = c.req.valid("param");
    const sql = await db();
    await assertEventRole(sql, c.var.user, id, ORGANIZER_ROLES);
    await deleteTicketType(sql, c.var.user.id, id, type_id);
    return c.body(null, 204);
  });
}
