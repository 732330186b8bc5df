/** Invariant 4: a ticket enters once, however many scans arrive at the same moment. */
import assert from "node:assert/strict";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callers } from "../support/callers.ts";
import { checkinRows, makeTicket } from "../support/ticket_builders.ts";
import { createTicketsApp } from "../../functions/tickets/routes.ts";
import { issueTicketCode } from "../../shared/tickets/codes.ts";

const SCANS = 50;

const count = (results: string[]) =>
  results.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r]: (acc[r] ?? 0) + 1 }), {});

dbTest(
  "50 concurrent validations of one ticket: exactly one ok, 49 already_redeemed, 50 rows",
  async () => {
    const { sql } = await setupHarness();
    const ticket = await makeTicket(sql);
    const as = callers(createTicketsApp());
    // Several scanners at several gates, as at a real door.
    const scanners = await Promise.all([1, 2, 3, 4, 5].map(() => as.asScanner(ticket.eventId)));
    const code = await issueTicketCode({ ticketId: ticket.id, eventId: ticket.eventId });
    const responses = await Promise.all(
      Array.from(
        { length: SCANS },
        (_, i) =>
          scanners[i % scanners.length].post("/tickets/validate", {
            code,
            event_id: ticket.eventId,
            gate: `gate-${i % 3}`,
            device_id: `device-${i % scanners.length}`,
          }),
      ),
    );
    assert.deepEqual(
      responses.map((r) => r.status).filter((s) => s !== 200),
      [],
    );
    assert.deepEqual(count(responses.map((r) => r.body.result)), {
      ok: 1,
      already_redeemed: SCANS - 1,
    });
    const winner = responses.find((r) => r.body.ok)!;
    // Every refused scan names the one admission that counted: when and at which gate.
    const previous = new Set(
      responses.filter((r) => !r.body.ok).map((r) =>
        `${r.body.previous.at}@${r.body.previous.gate}`
      ),
    );
    assert.deepEqual([...previous], [`${winner.body.scanned_at}@${winner.body.gate}`]);
    const rows = await checkinRows(sql, ticket.id);
    assert.equal(rows.length, SCANS);
    assert.deepEqual(count(rows.map((r) => r.result)), { ok: 1, already_redeemed: SCANS - 1 });
    const [state] = await sql`select inside, entries from public.tickets where id = ${ticket.id}`;
    assert.deepEqual({ ...state }, { inside: true, entries: 1 });
  },
);

dbTest(
  "50 concurrent retries of one nonce: one check-in, one stored row, the same answer",
  async () => {
    const { sql } = await setupHarness();
    const ticket = await makeTicket(sql);
    const scanner = await callers(createTicketsApp()).asScanner(ticket.eventId);
    const code = await issueTicketCode({ ticketId: ticket.id, eventId: ticket.eventId });
    const body = { code, event_id: ticket.eventId, nonce: "retry-storm-1", device_id: "d1" };
    const responses = await Promise.all(
      Array.from({ length: SCANS }, () => scanner.post("/tickets/validate", body)),
    );
    assert.deepEqual(responses.map((r) => r.status).filter((s) => s !== 200), []);
    assert.deepEqual(count(responses.map((r) => r.body.result)), { ok: SCANS });
    assert.equal(new Set(responses.map((r) => r.body.checkin_id)).size, 1);
    assert.equal(responses.filter((r) => !r.body.replayed).length, 1);
    const rows = await checkinRows(sql, ticket.id);
    assert.deepEqual(rows.map((r) => r.result), ["ok"]);
  },
);
