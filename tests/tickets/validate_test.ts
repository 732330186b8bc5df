/** POST /tickets/validate: reason codes, nonces, exit and re-entry, forged codes, limits. */
import assert from "node:assert/strict";
import { dbTest, setupHarness } from "../support/harness.ts";
import { type Caller, callers } from "../support/callers.ts";
import { makeEvent } from "../support/builders.ts";
import {
  checkinRows,
  makeOpenEvent,
  makeTicket,
  makeTicketType,
  revokeTicket,
} from "../support/ticket_builders.ts";
import { createTicketsApp } from "../../functions/tickets/routes.ts";
import { issueTicketCode, signTicketCode } from "../../shared/tickets/codes.ts";
import { decodeBase32, encodeBase32 } from "../../shared/tickets/base32.ts";
import { generateKeyEntry, parseKeyring } from "../../shared/tickets/keys.ts";

const app = createTicketsApp();
const as = callers(app);
const codeOf = (t: { id: string; eventId: string }) =>
  issueTicketCode({ ticketId: t.id, eventId: t.eventId });

dbTest("a nonce retry returns the same answer and adds no check-in", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const scanner = await as.asScanner(ticket.eventId);
  const body = { code: await codeOf(ticket), event_id: ticket.eventId, nonce: "n-1", gate: "A" };
  const first = await scanner.post("/tickets/validate", body);
  const retry = await scanner.post("/tickets/validate", body);
  assert.equal(first.body.result, "ok");
  assert.equal(first.body.ticket.attendee_name, "Ada Lovelace");
  assert.deepEqual({ ...retry.body, replayed: false }, first.body);
  assert.equal(retry.body.replayed, true);
  const another = await scanner.post("/tickets/validate", { ...body, nonce: "n-2" });
  assert.equal(another.body.result, "already_redeemed");
  assert.equal(another.body.previous.gate, "A");
  assert.deepEqual((await checkinRows(sql, ticket.id)).map((r) => r.result), [
    "ok",
    "already_redeemed",
  ]);
  // The nonce names one scan: reusing it for another ticket is refused, not replayed.
  const other = await makeTicket(sql, { event: { id: ticket.eventId } });
  const reused = await scanner.post("/tickets/validate", { ...body, code: await codeOf(other) });
  assert.equal(reused.status, 409);
  assert.equal(reused.body.error.code, "idempotency_conflict");
});

dbTest("reason codes: wrong_event, revoked, unpaid, not_yet_valid, expired", async () => {
  const { sql } = await setupHarness();
  const event = await makeOpenEvent(sql);
  const scanner = await as.asScanner(event.id);
  const scan = async (ticket: { id: string; eventId: string }, eventId = event.id) =>
    (await scanner.post("/tickets/validate", { code: await codeOf(ticket), event_id: eventId }))
      .body;
  const elsewhere = await makeTicket(sql);
  assert.equal((await scan(elsewhere)).result, "wrong_event");
  const revoked = await makeTicket(sql, { event });
  await revokeTicket(sql, revoked.id);
  assert.equal((await scan(revoked)).result, "revoked");
  const unpaid = await makeTicket(sql, { event, orderStatus: "pending" });
  assert.equal((await scan(unpaid)).result, "unpaid");
  const later = await makeEvent(sql, { startsInHours: 24 });
  const early = await makeTicket(sql, { event: later });
  await sql`insert into public.event_staff (event_id, user_id, role)
            values (${later.id}, ${scanner.user!.id}, 'scanner')`;
  assert.equal((await scan(early, later.id)).result, "not_yet_valid");
  const past = await makeEvent(sql, { startsInHours: -10, durationHours: 4 });
  const late = await makeTicket(sql, { event: past });
  await sql`insert into public.event_staff (event_id, user_id, role)
            values (${past.id}, ${scanner.user!.id}, 'scanner')`;
  assert.equal((await scan(late, past.id)).result, "expired");
  const refused = await sql`select result from public.checkins where scanner_id = ${
    scanner.user!.id
  }
                             order by id`;
  assert.deepEqual(refused.map((r) => r.result), [
    "wrong_event",
    "revoked",
    "unpaid",
    "not_yet_valid",
    "expired",
  ]);
});

dbTest("a ticket revoked after admission fails the next scan at once", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const scanner = await as.asScanner(ticket.eventId);
  const body = { code: await codeOf(ticket), event_id: ticket.eventId };
  assert.equal((await scanner.post("/tickets/validate", body)).body.result, "ok");
  await revokeTicket(sql, ticket.id);
  assert.equal((await scanner.post("/tickets/validate", body)).body.result, "revoked");
  const exit = await scanner.post("/tickets/validate", { ...body, direction: "exit" });
  assert.equal(exit.body.result, "revoked");
});

dbTest("exit and re-entry: allowed by a re-entry type, refused otherwise", async () => {
  const { sql } = await setupHarness();
  const event = await makeOpenEvent(sql);
  const scanner = await as.asScanner(event.id);
  const sequence = async (allowReentry: boolean) => {
    const ticketType = await makeTicketType(sql, event.id, { allowReentry });
    const ticket = await makeTicket(sql, { event, ticketType });
    const code = await codeOf(ticket);
    const results: string[] = [];
    for (const direction of ["exit", "entry", "entry", "exit", "exit", "entry"]) {
      const res = await scanner.post("/tickets/validate", { code, event_id: event.id, direction });
      results.push(`${direction}:${res.body.result}`);
    }
    return results;
  };
  assert.deepEqual(await sequence(true), [
    "exit:not_inside",
    "entry:ok",
    "entry:already_redeemed",
    "exit:ok",
    "exit:not_inside",
    "entry:ok",
  ]);
  assert.deepEqual(await sequence(false), [
    "exit:not_inside",
    "entry:ok",
    "entry:already_redeemed",
    "exit:ok",
    "exit:not_inside",
    "entry:already_redeemed",
  ]);
});

dbTest("forged codes are invalid, stored nowhere, and never a 500", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const scanner = await as.asScanner(ticket.eventId);
  const code = await codeOf(ticket);
  const bytes = decodeBase32(code)!;
  const flipped = (index: number) => {
    const copy = bytes.slice();
    copy[index] ^= 0x10;
    return encodeBase32(copy);
  };
  const strangerKeys = await parseKeyring(JSON.stringify([await generateKeyEntry("k1")]));
  const forgeries = {
    "flipped version": flipped(0),
    "flipped key id": flipped(2),
    "flipped ticket id": flipped(10),
    "flipped event id": flipped(30),
    "flipped signature": flipped(80),
    "wrong key": await signTicketCode(strangerKeys, {
      ticketId: ticket.id,
      eventId: ticket.eventId,
    }),
    truncated: code.slice(0, -8),
    empty: "",
    garbage: "<script>alert(1)</script>' or 1=1 --",
    "10 KB": "Q".repeat(10_240),
    "unicode": "🎟".repeat(81),
  };
  for (const [name, forged] of Object.entries(forgeries)) {
    const res = await scanner.post("/tickets/validate", {
      code: forged,
      event_id: ticket.eventId,
      nonce: `forged-${name}`,
    });
    assert.equal(res.status, 200, name);
    assert.equal(res.body.result, "invalid", name);
    assert.equal(res.body.checkin_id, null, name);
    assert.equal(res.body.ticket, null, name);
  }
  const [{ n }] = await sql`select count(*)::int as n from public.checkins
                            where event_id = ${ticket.eventId}`;
  assert.equal(n, 0);
  // The genuine code still enters: the forgeries changed nothing.
  const real = await scanner.post("/tickets/validate", { code, event_id: ticket.eventId });
  assert.equal(real.body.result, "ok");
});

dbTest("only staff of the ticket's event may validate or sync it", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const otherEvent = await makeOpenEvent(sql);
  const body = { code: await codeOf(ticket), event_id: ticket.eventId };
  const cases: Array<[string, Caller, number]> = [
    ["anonymous", as.asAnon(), 401],
    ["plain user", await as.asUser(), 403],
    ["owner", await as.as(ticket.owner), 403],
    ["scanner of another event", await as.asScanner(otherEvent.id), 403],
    ["coordinator of another event", await as.asCoordinator(otherEvent.id), 403],
  ];
  for (const [name, caller, status] of cases) {
    assert.equal((await caller.post("/tickets/validate", body)).status, status, name);
    const sync = await caller.get(`/tickets/events/${ticket.eventId}/scanner-sync`);
    assert.equal(sync.status, status, `${name} sync`);
    const batch = await caller.post("/tickets/validate/batch", {
      event_id: ticket.eventId,
      scans: [{ code: body.code, nonce: "b1", scanned_at: new Date().toISOString() }],
    });
    assert.equal(batch.status, status, `${name} batch`);
  }
  const [{ n }] = await sql`select count(*)::int as n from public.checkins
                            where ticket_id = ${ticket.id}`;
  assert.equal(n, 0);
  const coordinator = await as.asCoordinator(ticket.eventId);
  assert.equal((await coordinator.post("/tickets/validate", body)).body.result, "ok");
  const admin = await as.asAdmin();
  assert.equal((await admin.post("/tickets/validate", body)).body.result, "already_redeemed");
  const missing = await admin.post("/tickets/validate", { ...body, event_id: crypto.randomUUID() });
  assert.equal(missing.status, 404);
});

dbTest("scans are rate limited per device with 429 rate_limited and Retry-After", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const limited = callers(
    createTicketsApp({ limits: { scans: { limit: 3, windowSeconds: 60 } } }),
  );
  const scanner = await limited.asScanner(ticket.eventId);
  const body = { code: "not-a-code", event_id: ticket.eventId, device_id: crypto.randomUUID() };
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push(await scanner.post("/tickets/validate", body));
  assert.deepEqual(statuses.map((r) => r.status), [200, 200, 200, 429]);
  const blocked = statuses[3];
  assert.equal(blocked.body.error.code, "rate_limited");
  assert.ok(blocked.body.error.details.retry_after_seconds >= 1);
  assert.ok(Number(blocked.headers.get("retry-after")) >= 1);
  // Another device of the same scanner has its own budget.
  const other = await scanner.post("/tickets/validate", { ...body, device_id: "second-device" });
  assert.equal(other.status, 200);
});
