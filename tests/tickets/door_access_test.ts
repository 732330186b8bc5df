/**
 * One rule for "may this caller work this event's door": every door operation
 * (scan, offline batch, scanner sync, reading a ticket, seeing an unpublished
 * event) answers the same for the same caller, and the rule is written once.
 */
import assert from "node:assert/strict";
import { createTicketsApp } from "../../functions/tickets/routes.ts";
import { createEventsApp } from "../../functions/events/routes.ts";
import { issueTicketCode } from "../../shared/tickets/codes.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { type Caller, callerFor, callers } from "../support/callers.ts";
import { makeEvent } from "../support/builders.ts";
import { makeTicket } from "../support/ticket_builders.ts";

const tickets = createTicketsApp();
const events = createEventsApp();

/** Whether each door operation let `caller` in (2xx) or refused (403/404). */
async function doorAnswers(caller: Caller, ticket: { id: string; eventId: string }) {
  const code = await issueTicketCode({ ticketId: ticket.id, eventId: ticket.eventId });
  const onEvents = callerFor(events, caller.token);
  const results = {
    validate: await caller.post("/tickets/validate", { code: "forged", event_id: ticket.eventId }),
    validate_signed: await caller.post("/tickets/validate", {
      code,
      event_id: ticket.eventId,
      direction: "exit",
    }),
    batch: await caller.post("/tickets/validate/batch", {
      event_id: ticket.eventId,
      scans: [{ code: "forged", nonce: crypto.randomUUID(), scanned_at: new Date().toISOString() }],
    }),
    sync: await caller.get(`/tickets/events/${ticket.eventId}/scanner-sync`),
    ticket: await caller.get(`/tickets/${ticket.id}`),
    draft_event: await onEvents.get(`/events/${ticket.eventId}`),
  };
  return Object.fromEntries(
    Object.entries(results).map(([op, res]) => [op, res.status < 300 ? "allowed" : res.status]),
  );
}

dbTest("every door operation agrees on who may act at an event's door", async () => {
  const { sql } = await setupHarness();
  const event = await makeEvent(sql, { status: "draft", startsInHours: 1 });
  const ticket = await makeTicket(sql, { event });
  const other = await makeEvent(sql);
  const as = callers(tickets);
  const everywhere = (answer: unknown) => ({
    validate: answer,
    validate_signed: answer,
    batch: answer,
    sync: answer,
    ticket: answer === "allowed" ? "allowed" : 404,
    draft_event: answer === "allowed" ? "allowed" : 404,
  });
  assert.deepEqual(await doorAnswers(await as.asAdmin(), ticket), everywhere("allowed"));
  assert.deepEqual(await doorAnswers(await as.asScanner(event.id), ticket), everywhere("allowed"));
  assert.deepEqual(
    await doorAnswers(await as.asCoordinator(event.id), ticket),
    everywhere("allowed"),
  );
  assert.deepEqual(await doorAnswers(await as.asScanner(other.id), ticket), everywhere(403));
  assert.deepEqual(await doorAnswers(await as.asUser(), ticket), everywhere(403));
});

dbTest("the door rule is written once: no other module reads event_staff to decide", async () => {
  const allowed = new Set([
    "shared/event_access.ts", // the rule
    "functions/events/staff_service.ts", // manages the table itself
  ]);
  const offenders: string[] = [];
  for (const root of ["functions", "shared"]) {
    for await (const file of walk(new URL(`../../${root}/`, import.meta.url))) {
      const relative = `${root}/${file.path}`;
      if (allowed.has(relative) || relative.endsWith("_test.ts")) continue;
      if (/public\.event_staff\b/.test(await Deno.readTextFile(file.url))) offenders.push(relative);
    }
  }
  assert.deepEqual(offenders, []);
});

async function* walk(dir: URL, prefix = ""): AsyncGenerator<{ path: string; url: URL }> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* walk(url, `${prefix}${entry.name}/`);
    else if (entry.name.endsWith(".ts")) yield { path: `${prefix}${entry.name}`, url };
  }
}
