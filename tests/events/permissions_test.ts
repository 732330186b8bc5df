/**
 * The permission matrix: every events endpoint × every kind of caller → the
 * status the caller gets. Each cell runs against its own fresh event, so a
 * write in one cell cannot change another's answer.
 */
import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { type ApiResponse, type Caller, callers } from "../support/callers.ts";
import { assignStaff, makeEvent, makeUser } from "../support/builders.ts";
import { makeTicketType } from "../support/events_builders.ts";

const ROLES = ["anon", "user", "scanner", "coordinator_other", "coordinator", "admin"] as const;
type Role = (typeof ROLES)[number];

interface Cell {
  eventId: string;
  typeId: string;
  staffUserId: string;
  newUserId: string;
}

interface Case {
  name: string;
  draft?: boolean;
  call: (caller: Caller, cell: Cell) => Promise<ApiResponse>;
  /** Expected status per role, in ROLES order. */
  expect: [number, number, number, number, number, number];
}

const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

const CASES: Case[] = [
  { name: "GET /events", call: (c) => c.get("/events"), expect: [200, 200, 200, 200, 200, 200] },
  {
    name: "GET /events?status=draft",
    call: (c) => c.get("/events?status=draft"),
    expect: [401, 403, 403, 403, 403, 200],
  },
  {
    name: "GET /events/{id} published",
    call: (c, x) => c.get(`/events/${x.eventId}`),
    expect: [200, 200, 200, 200, 200, 200],
  },
  {
    name: "GET /events/{id} draft",
    draft: true,
    call: (c, x) => c.get(`/events/${x.eventId}`),
    expect: [404, 404, 200, 404, 200, 200],
  },
  {
    name: "POST /events",
    call: (c) =>
      c.post("/events", { title: "Matrix show", starts_at: future(3), ends_at: future(4) }),
    expect: [401, 403, 403, 403, 403, 201],
  },
  {
    name: "PUT /events/{id}",
    call: (c, x) => c.put(`/events/${x.eventId}`, { title: "Renamed" }),
    expect: [401, 403, 403, 403, 200, 200],
  },
  {
    name: "DELETE /events/{id}",
    call: (c, x) => c.delete(`/events/${x.eventId}`),
    expect: [401, 403, 403, 403, 403, 204],
  },
  {
    name: "GET /events/{id}/ticket-types",
    call: (c, x) => c.get(`/events/${x.eventId}/ticket-types`),
    expect: [401, 403, 403, 403, 200, 200],
  },
  {
    name: "POST /events/{id}/ticket-types",
    call: (c, x) =>
      c.post(`/events/${x.eventId}/ticket-types`, { name: "New", price: 1, capacity: 5 }),
    expect: [401, 403, 403, 403, 201, 201],
  },
  {
    name: "PUT /events/{id}/ticket-types/{type_id}",
    call: (c, x) => c.put(`/events/${x.eventId}/ticket-types/${x.typeId}`, { capacity: 50 }),
    expect: [401, 403, 403, 403, 200, 200],
  },
  {
    name: "DELETE /events/{id}/ticket-types/{type_id}",
    call: (c, x) => c.delete(`/events/${x.eventId}/ticket-types/${x.typeId}`),
    expect: [401, 403, 403, 403, 204, 204],
  },
  {
    name: "GET /events/{id}/staff",
    call: (c, x) => c.get(`/events/${x.eventId}/staff`),
    expect: [401, 403, 403, 403, 200, 200],
  },
  {
    name: "POST /events/{id}/staff",
    call: (c, x) => c.post(`/events/${x.eventId}/staff`, { user_id: x.newUserId, role: "scanner" }),
    expect: [401, 403, 403, 403, 403, 201],
  },
  {
    name: "DELETE /events/{id}/staff/{user_id}",
    call: (c, x) => c.delete(`/events/${x.eventId}/staff/${x.staffUserId}`),
    expect: [401, 403, 403, 403, 403, 204],
  },
  {
    name: "GET /events/{id}/stats",
    call: (c, x) => c.get(`/events/${x.eventId}/stats`),
    expect: [401, 403, 403, 403, 200, 200],
  },
];

async function callerFor(role: Role, eventId: string, otherEventId: string): Promise<Caller> {
  const as = callers(createEventsApp());
  switch (role) {
    case "anon":
      return as.asAnon();
    case "user":
      return await as.asUser();
    case "scanner":
      return await as.asScanner(eventId);
    case "coordinator_other":
      return await as.asCoordinator(otherEventId);
    case "coordinator":
      return await as.asCoordinator(eventId);
    case "admin":
      return await as.asAdmin();
  }
}

dbTest("permission matrix: every endpoint × every caller", async () => {
  const { sql } = await setupHarness();
  const other = await makeEvent(sql);
  const mismatches: string[] = [];
  for (const testCase of CASES) {
    for (const [i, role] of ROLES.entries()) {
      const event = await makeEvent(sql, { status: testCase.draft ? "draft" : "published" });
      const type = await makeTicketType(sql, event.id);
      const staffUser = await makeUser(sql, ["scanner"]);
      await assignStaff(sql, event.id, staffUser.id, "scanner");
      const newUser = await makeUser(sql);
      const caller = await callerFor(role, event.id, other.id);
      const cell = {
        eventId: event.id,
        typeId: type.id,
        staffUserId: staffUser.id,
        newUserId: newUser.id,
      };
      const { status, body } = await testCase.call(caller, cell);
      if (status !== testCase.expect[i]) {
        mismatches.push(
          `${testCase.name} as ${role}: ${status} (expected ${testCase.expect[i]}) ${
            JSON.stringify(body?.error?.code ?? "")
          }`,
        );
      }
    }
  }
  assert.deepEqual(mismatches, []);
});

dbTest("unknown ids are 404 for admins, with the precise code", async () => {
  const { sql } = await setupHarness();
  const admin = await callers(createEventsApp()).asAdmin();
  const event = await makeEvent(sql);
  const missing = crypto.randomUUID();
  const checks: [Promise<ApiResponse>, string][] = [
    [admin.get(`/events/${missing}`), "event_not_found"],
    [admin.get(`/events/no-such-slug`), "event_not_found"],
    [admin.put(`/events/${missing}`, { title: "x" }), "event_not_found"],
    [admin.delete(`/events/${missing}`), "event_not_found"],
    [admin.get(`/events/${missing}/ticket-types`), "event_not_found"],
    [
      admin.post(`/events/${missing}/ticket-types`, { name: "A", price: 1, capacity: 1 }),
      "event_not_found",
    ],
    [
      admin.put(`/events/${event.id}/ticket-types/${missing}`, { capacity: 1 }),
      "ticket_type_not_found",
    ],
    [admin.delete(`/events/${event.id}/ticket-types/${missing}`), "ticket_type_not_found"],
    [admin.put(`/events/${missing}/ticket-types/${missing}`, { capacity: 1 }), "event_not_found"],
    [admin.get(`/events/${missing}/staff`), "event_not_found"],
    [
      admin.post(`/events/${event.id}/staff`, { user_id: missing, role: "scanner" }),
      "user_not_found",
    ],
    [admin.delete(`/events/${event.id}/staff/${missing}`), "staff_not_found"],
    [admin.get(`/events/${missing}/stats`), "event_not_found"],
  ];
  for (const [request, code] of checks) {
    const { status, body } = await request;
    assert.equal(status, 404, JSON.stringify(body));
    assert.equal(body.error.code, code);
  }
});

dbTest("a ticket type of another event is not found through this event", async () => {
  const { sql } = await setupHarness();
  const mine = await makeEvent(sql);
  const theirs = await makeEvent(sql);
  const type = await makeTicketType(sql, theirs.id);
  const coordinator = await callers(createEventsApp()).asCoordinator(mine.id);
  const { status, body } = await coordinator.put(`/events/${mine.id}/ticket-types/${type.id}`, {
    capacity: 1,
  });
  assert.equal(status, 404);
  assert.equal(body.error.code, "ticket_type_not_found");
});
