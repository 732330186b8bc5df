/** Offline scanning: scanner-sync (keys, deltas, revocations) and batch upload with conflicts. */
import assert from "node:assert/strict";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callers } from "../support/callers.ts";
import {
  backdateTickets,
  checkinRows,
  makeOpenEvent,
  makeTicket,
  makeTickets,
  revokeTicket,
} from "../support/ticket_builders.ts";
import { createTicketsApp } from "../../functions/tickets/routes.ts";
import { issueTicketCode } from "../../shared/tickets/codes.ts";
import { publicKeys } from "../../shared/tickets/keys.ts";

const as = callers(createTicketsApp());
const codeOf = (t: { id: string; eventId: string }) =>
  issueTicketCode({ ticketId: t.id, eventId: t.eventId });
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

dbTest(
  "scanner-sync pages every ticket, then sends only changes, revocations included",
  async () => {
    const { sql } = await setupHarness();
    const event = await makeOpenEvent(sql);
    const tickets = await makeTickets(sql, { event, count: 5 });
    const unpaid = await makeTicket(sql, { event, orderStatus: "pending" });
    await backdateTickets(sql, [...tickets.map((t) => t.id), unpaid.id]);
    const scanner = await as.asScanner(event.id);
    const path = `/tickets/events/${event.id}/scanner-sync`;
    const page1 = await scanner.get(`${path}?limit=4`);
    assert.equal(page1.status, 200);
    assert.deepEqual(page1.body.keys, await publicKeys());
    assert.equal(page1.body.event.id, event.id);
    assert.ok(
      Date.parse(page1.body.event.admission_opens_at) < Date.parse(page1.body.event.starts_at),
    );
    assert.equal(page1.body.ticket_types.length, 2);
    assert.equal(page1.body.tickets.length, 4);
    assert.equal(page1.body.has_more, true);
    const page2 = await scanner.get(`${path}?limit=4&since=${page1.body.next_cursor}`);
    assert.equal(page2.body.has_more, false);
    const all = [...page1.body.tickets, ...page2.body.tickets];
    assert.deepEqual(
      all.map((t: { id: string }) => t.id).sort(),
      [...tickets.map((t) => t.id), unpaid.id].sort(),
    );
    assert.deepEqual(
      page2.body.revocations.concat(page1.body.revocations).map((
        r: { ticket_id: string; status: string },
      ) => [r.ticket_id, r.status]),
      [[unpaid.id, "unpaid"]],
    );

    // Changes made after that sync arrive in the next one; unchanged tickets do not.
    const cursor = page2.body.next_cursor;
    await revokeTicket(sql, tickets[0].id);
    await scanner.post("/tickets/validate", { code: await codeOf(tickets[1]), event_id: event.id });
    const next = await scanner.get(`${path}?since=${cursor}`);
    const changed = next.body.tickets.map((t: { id: string }) => t.id);
    assert.deepEqual(changed.sort(), [tickets[0].id, tickets[1].id].sort());
    const revocation = next.body.revocations.find((r: { ticket_id: string }) =>
      r.ticket_id === tickets[0].id
    );
    assert.equal(revocation.status, "revoked");
    const admitted = next.body.tickets.find((t: { id: string }) => t.id === tickets[1].id);
    assert.deepEqual([admitted.inside, admitted.entries], [true, 1]);

    const bad = await scanner.get(`${path}?since=not-a-cursor`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].field, "query.since");
  },
);

dbTest("a caught-up cursor trails the clock, so late commits are not skipped", async () => {
  const { sql } = await setupHarness();
  const event = await makeOpenEvent(sql);
  const [old, recent] = await makeTickets(sql, { event, count: 2 });
  await backdateTickets(sql, [old.id]);
  const scanner = await as.asScanner(event.id);
  const path = `/tickets/events/${event.id}/scanner-sync`;
  const first = await scanner.get(path);
  assert.equal(first.body.tickets.length, 2);
  // The recent ticket is inside the safety margin: it is sent again next time, the old one not.
  const again = await scanner.get(`${path}?since=${first.body.next_cursor}`);
  assert.deepEqual(again.body.tickets.map((t: { id: string }) => t.id), [recent.id]);
});

dbTest(
  "offline batch: two devices admitted the same ticket → one ok, one conflict, in stats",
  async () => {
    const { sql } = await setupHarness();
    const event = await makeOpenEvent(sql);
    const [shared, solo] = await makeTickets(sql, { event, count: 2 });
    const deviceA = await as.asScanner(event.id);
    const deviceB = await as.asScanner(event.id);
    const sharedCode = await codeOf(shared);
    const batchA = {
      event_id: event.id,
      device_id: "door-A",
      scans: [
        { code: sharedCode, nonce: "a-1", scanned_at: ago(120), gate: "north" },
        { code: await codeOf(solo), nonce: "a-2", scanned_at: ago(100), gate: "north" },
        { code: "forged", nonce: "a-3", scanned_at: ago(90), gate: "north" },
      ],
    };
    const uploadA = await deviceA.post("/tickets/validate/batch", batchA);
    assert.equal(uploadA.status, 200);
    assert.deepEqual(
      uploadA.body.items.map((i: { outcome: { result: string } }) => i.outcome.result),
      [
        "ok",
        "ok",
        "invalid",
      ],
    );
    assert.deepEqual(uploadA.body.conflicts, []);
    // Device B let the same person (or a copy of the ticket) in a minute later, offline.
    const uploadB = await deviceB.post("/tickets/validate/batch", {
      event_id: event.id,
      device_id: "door-B",
      scans: [{ code: sharedCode, nonce: "b-1", scanned_at: ago(60), gate: "south" }],
    });
    const [item] = uploadB.body.items;
    assert.equal(item.outcome.result, "already_redeemed");
    assert.equal(item.outcome.conflict, true);
    assert.equal(item.outcome.previous.gate, "north");
    assert.equal(uploadB.body.summary.conflicts, 1);
    assert.equal(uploadB.body.conflicts[0].ticket.id, shared.id);
    assert.deepEqual(
      (await checkinRows(sql, shared.id)).map((r) => [r.result, r.conflict]),
      [["ok", false], ["already_redeemed", true]],
    );
    const [{ stats }] = await sql`select public.event_checkin_stats(${event.id}) as stats`;
    assert.equal(stats.offline_conflicts, 1);
    assert.deepEqual(stats.by_gate, { north: 2 });
    assert.deepEqual(stats.checked_in_by_type, { [shared.ticketTypeId]: 2 });

    // Re-uploading the same batch (a dropped connection) replays, changes nothing.
    const replay = await deviceA.post("/tickets/validate/batch", batchA);
    assert.deepEqual(replay.body.summary, {
      applied: 1,
      replayed: 2,
      ok: 2,
      conflicts: 0,
      errors: 0,
    });
    assert.equal((await checkinRows(sql, shared.id)).length, 2);
  },
);

dbTest(
  "offline batch: scans apply in scan-time order; refusals made offline are only logged",
  async () => {
    const { sql } = await setupHarness();
    const event = await makeOpenEvent(sql);
    const [reentry, refused] = await makeTickets(sql, { event, count: 2 });
    const scanner = await as.asScanner(event.id);
    const code = await codeOf(reentry);
    const upload = await scanner.post("/tickets/validate/batch", {
      event_id: event.id,
      // Uploaded out of order: the exit came after the entry.
      scans: [
        { code, nonce: "x-2", scanned_at: ago(30), direction: "exit" },
        { code, nonce: "x-1", scanned_at: ago(40), direction: "entry" },
        {
          code: await codeOf(refused),
          nonce: "x-3",
          scanned_at: ago(20),
          offline_result: "revoked",
        },
      ],
    });
    assert.deepEqual(
      upload.body.items.map((i: { outcome: { result: string } }) => i.outcome.result),
      [
        "ok",
        "ok",
        "revoked",
      ],
    );
    const [state] = await sql`select inside, entries from public.tickets where id = ${refused.id}`;
    assert.deepEqual({ ...state }, { inside: false, entries: 0 });
    assert.deepEqual((await checkinRows(sql, refused.id)).map((r) => r.result), ["revoked"]);
    const tooMany = await scanner.post("/tickets/validate/batch", {
      event_id: event.id,
      scans: Array.from({ length: 501 }, (_, i) => ({ code, nonce: `n${i}`, scanned_at: ago(1) })),
    });
    assert.equal(tooMany.status, 400);
  },
);

dbTest("a ticket revoked by a refund fails online at once and is in the next sync", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  // An order refunded by hand in Studio (an allowed move), its ticket left as it was.
  const handEdited = await makeTicket(sql, { event: { id: ticket.eventId } });
  await backdateTickets(sql, [ticket.id, handEdited.id]);
  const scanner = await as.asScanner(ticket.eventId);
  const path = `/tickets/events/${ticket.eventId}/scanner-sync`;
  const before = await scanner.get(path);
  assert.equal(before.body.tickets.length, 2);
  assert.deepEqual(before.body.revocations, []);
  assert.deepEqual(
    (await scanner.get(`${path}?since=${before.body.next_cursor}`)).body.tickets,
    [],
  );
  // Purchases refunds: the order leaves `paid` and the ticket is revoked in one transaction.
  await sql.begin(async (tx) => {
    await tx`update public.orders set status = 'refunded' where id = ${ticket.orderId}`;
    await tx`update public.tickets set status = 'revoked', revoked_at = now()
              where id = ${ticket.id}`;
  });
  await sql`update public.orders set status = 'refunded' where id = ${handEdited.orderId}`;
  const scan = await scanner.post("/tickets/validate", {
    code: await codeOf(ticket),
    event_id: ticket.eventId,
  });
  assert.equal(scan.body.result, "revoked");
  const after = await scanner.get(`${path}?since=${before.body.next_cursor}`);
  const delta = after.body.revocations.map((r: { ticket_id: string; status: string }) =>
    `${r.ticket_id}:${r.status}`
  );
  assert.deepEqual(delta.sort(), [`${ticket.id}:revoked`, `${handEdited.id}:unpaid`].sort());
});
