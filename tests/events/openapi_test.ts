import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";
import { openApiDocument } from "../../shared/openapi.ts";

Deno.test("every events route is in the OpenAPI 3.1 document, with its schemas", async () => {
  const doc = await openApiDocument(createEventsApp(), "events");
  const paths = Object.keys(doc.paths ?? {}).sort();
  assert.deepEqual(paths, [
    "/events",
    "/events/{id}",
    "/events/{id}/cancel",
    "/events/{id}/cancellation",
    "/events/{id}/staff",
    "/events/{id}/staff/{user_id}",
    "/events/{id}/stats",
    "/events/{id}/ticket-types",
    "/events/{id}/ticket-types/{type_id}",
  ]);
  const schemas = Object.keys(doc.components?.schemas ?? {});
  for (
    const name of [
      "Event",
      "EventDetail",
      "EventPage",
      "TicketType",
      "EventStats",
      "CancellationProgress",
      "CancelResponse",
      "Error",
    ]
  ) {
    assert.ok(schemas.includes(name), name);
  }
});
