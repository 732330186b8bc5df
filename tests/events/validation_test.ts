/** Bad input is a 400 naming the field, never a 500 from the database. */
import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { type ApiResponse, type Caller, callers } from "../support/callers.ts";
import { makeEvent } from "../support/builders.ts";
import { makeTicketType } from "../support/events_builders.ts";

const event = {
  title: "Valid",
  starts_at: "2027-05-01T20:00:00Z",
  ends_at: "2027-05-01T23:00:00Z",
};
const type = { name: "General", price: 100, capacity: 10 };

interface BadCase {
  name: string;
  send: (admin: Caller, ids: { eventId: string; typeId: string }) => Promise<ApiResponse>;
  field: string;
}

const CASES: BadCase[] = [
  {
    name: "ends before starts",
    send: (a) => a.post("/events", { ...event, ends_at: "2027-05-01T19:00:00Z" }),
    field: "body.ends_at",
  },
  {
    name: "unknown currency",
    send: (a) => a.post("/events", { ...event, currency: "ARX" }),
    field: "body.currency",
  },
  {
    name: "lower-case currency",
    send: (a) => a.post("/events", { ...event, currency: "ars" }),
    field: "body.currency",
  },
  {
    name: "unknown time zone",
    send: (a) => a.post("/events", { ...event, time_zone: "Mars/Olympus" }),
    field: "body.time_zone",
  },
  {
    name: "offset instead of a zone",
    send: (a) => a.post("/events", { ...event, time_zone: "+03:00" }),
    field: "body.time_zone",
  },
  {
    name: "oversized title",
    send: (a) => a.post("/events", { ...event, title: "x".repeat(201) }),
    field: "body.title",
  },
  {
    name: "oversized description",
    send: (a) => a.post("/events", { ...event, description: "x".repeat(10_001) }),
    field: "body.description",
  },
  {
    name: "bad slug",
    send: (a) => a.post("/events", { ...event, slug: "Not A Slug" }),
    field: "body.slug",
  },
  {
    name: "non-http cover",
    send: (a) => a.post("/events", { ...event, cover_image_url: "javascript:alert(1)" }),
    field: "body.cover_image_url",
  },
  {
    name: "date without offset",
    send: (a) => a.post("/events", { ...event, starts_at: "2027-05-01 20:00" }),
    field: "body.starts_at",
  },
  {
    name: "status on create beyond draft/published",
    send: (a) => a.post("/events", { ...event, status: "finished" }),
    field: "body.status",
  },
  {
    name: "unknown field",
    send: (a) => a.post("/events", { ...event, colour: "red" }),
    field: "body",
  },
  {
    name: "empty update",
    send: (a, x) => a.put(`/events/${x.eventId}`, {}),
    field: "body",
  },
  {
    name: "per-user cap out of range",
    send: (a, x) => a.put(`/events/${x.eventId}`, { max_tickets_per_user: 0 }),
    field: "body.max_tickets_per_user",
  },
  {
    name: "malformed event id",
    send: (a) => a.put("/events/not-a-uuid", { title: "x" }),
    field: "path.id",
  },
  {
    name: "malformed id-or-slug",
    send: (a) => a.get("/events/Bad%20Ref"),
    field: "path.id",
  },
  {
    name: "malformed ticket type id",
    send: (a, x) => a.put(`/events/${x.eventId}/ticket-types/123`, { capacity: 1 }),
    field: "path.type_id",
  },
  {
    name: "negative capacity",
    send: (a, x) => a.post(`/events/${x.eventId}/ticket-types`, { ...type, capacity: -1 }),
    field: "body.capacity",
  },
  {
    name: "fractional price",
    send: (a, x) => a.post(`/events/${x.eventId}/ticket-types`, { ...type, price: 9.99 }),
    field: "body.price",
  },
  {
    name: "sales window backwards",
    send: (a, x) =>
      a.post(`/events/${x.eventId}/ticket-types`, {
        ...type,
        sales_start_at: "2027-01-02T00:00:00Z",
        sales_end_at: "2027-01-01T00:00:00Z",
      }),
    field: "body.sales_end_at",
  },
  {
    name: "oversized ticket type name",
    send: (a, x) =>
      a.put(`/events/${x.eventId}/ticket-types/${x.typeId}`, { name: "n".repeat(121) }),
    field: "body.name",
  },
  {
    name: "staff role",
    send: (a, x) =>
      a.post(`/events/${x.eventId}/staff`, { user_id: crypto.randomUUID(), role: "admin" }),
    field: "body.role",
  },
  { name: "limit over 100", send: (a) => a.get("/events?limit=101"), field: "query.limit" },
  { name: "limit not a number", send: (a) => a.get("/events?limit=ten"), field: "query.limit" },
  { name: "forged cursor", send: (a) => a.get("/events?cursor=bm9wZQ"), field: "query.cursor" },
  {
    name: "cursor not base64url",
    send: (a) => a.get("/events?cursor=%3D%3D"),
    field: "query.cursor",
  },
  { name: "bad from", send: (a) => a.get("/events?from=yesterday"), field: "query.from" },
  {
    name: "to before from",
    send: (a) => a.get("/events?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z"),
    field: "query.to",
  },
  { name: "unknown when", send: (a) => a.get("/events?when=someday"), field: "query.when" },
  { name: "search too long", send: (a) => a.get(`/events?q=${"q".repeat(101)}`), field: "query.q" },
];

dbTest("bad input → 400 validation_failed naming the field", async () => {
  const { sql } = await setupHarness();
  const admin = await callers(createEventsApp()).asAdmin();
  const created = await makeEvent(sql);
  const ids = { eventId: created.id, typeId: (await makeTicketType(sql, created.id)).id };
  const wrong: string[] = [];
  for (const c of CASES) {
    const { status, body } = await c.send(admin, ids);
    const fields = (body?.error?.details ?? []).map((d: { field: string }) => d.field);
    if (status !== 400 || body.error.code !== "validation_failed" || !fields.includes(c.field)) {
      wrong.push(`${c.name}: ${status} ${JSON.stringify(body?.error ?? body)}`);
    }
  }
  assert.deepEqual(wrong, []);
});

dbTest("invalid JSON and a duplicate slug on update are clear 4xx answers", async () => {
  const { sql } = await setupHarness();
  const admin = await callers(createEventsApp()).asAdmin();
  const a = await makeEvent(sql);
  const b = await makeEvent(sql);
  const broken = await admin.post("/events", "{not json");
  assert.equal(broken.status, 400);
  assert.equal(broken.body.error.code, "invalid_json");
  const taken = await admin.put(`/events/${b.id}`, { slug: a.slug });
  assert.equal(taken.status, 409);
  assert.equal(taken.body.error.code, "slug_taken");
});
