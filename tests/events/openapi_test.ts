import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";

Deno.test("every events route is in the OpenAPI 3.1 document, with its schemas", () => {
  const doc = createEventsApp().getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: "events", version: "test" },
  });
  const paths = Object.keys(doc.paths ?? {}).sort();
  assert.deepEqual(paths, [
    "/events",
    "/events/{id}",
    "/events/{id}/staff",
    "/events/{id}/staff/{user_id}",
    "/events/{id}/stats",
    "/events/{id}/ticket-types",
    "/events/{id}/ticket-types/{type_id}",
  ]);
  const schemas = Object.keys(doc.components?.schemas ?? {});
  for (const name of ["Event", "EventDetail", "EventPage", "TicketType", "EventStats", "Error"]) {
    assert.ok(schemas.includes(name), name);
  }
});
