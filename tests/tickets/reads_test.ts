/** Ticket reads and QR images: owners, admins and event staff see tickets; nobody else does. */
import assert from "node:assert/strict";
import QRCode from "qrcode";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callers } from "../support/callers.ts";
import { makeTicket, makeTickets } from "../support/ticket_builders.ts";
import { createTicketsApp } from "../../functions/tickets/routes.ts";
import { verifyTicketCode } from "../../shared/tickets/codes.ts";

const as = callers(createTicketsApp());

dbTest("a user lists their own tickets with events and codes; others get 404", async () => {
  const { sql } = await setupHarness();
  const [a1, a2] = await makeTickets(sql, { count: 2 });
  const b = await makeTicket(sql);
  const userA = await as.as(a1.owner);
  const mine = await userA.get(`/tickets/user/${a1.owner.id}`);
  assert.equal(mine.status, 200);
  assert.deepEqual(
    mine.body.tickets.map((t: { id: string }) => t.id).sort(),
    [a1.id, a2.id].sort(),
  );
  const first = mine.body.tickets[0];
  assert.equal(first.event.id, a1.eventId);
  assert.ok(first.event.title && first.ticket_type.name);
  const verified = await verifyTicketCode(first.code);
  assert.deepEqual([verified?.ticketId, verified?.eventId], [first.id, a1.eventId]);
  // User A asking for user B's tickets: 404 by /user/{id}, by id, and for the QR.
  assert.equal((await userA.get(`/tickets/user/${b.owner.id}`)).status, 404);
  assert.equal((await userA.get(`/tickets/${b.id}`)).status, 404);
  assert.equal((await userA.get(`/tickets/${b.id}/qr`)).status, 404);
  assert.equal((await userA.get(`/tickets/${b.id}/qr?format=png`)).status, 404);
  // The same 404 as a ticket that does not exist: nothing leaks.
  const ghost = await userA.get(`/tickets/${crypto.randomUUID()}`);
  assert.equal(ghost.status, 404);
  assert.equal(ghost.body.error.code, "ticket_not_found");
  assert.equal((await as.asAnon().get(`/tickets/user/${a1.owner.id}`)).status, 401);
  const admin = await as.asAdmin();
  assert.equal((await admin.get(`/tickets/user/${b.owner.id}`)).body.tickets.length, 1);
});

dbTest("one ticket: owner and admin get the code, staff of its event the state only", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const other = await makeTicket(sql);
  const owner = await as.as(ticket.owner);
  const own = await owner.get(`/tickets/${ticket.id}`);
  assert.equal(own.status, 200);
  assert.equal(own.body.checkin.inside, false);
  assert.ok(own.body.code);
  assert.ok((await (await as.asAdmin()).get(`/tickets/${ticket.id}`)).body.code);
  for (
    const staff of [await as.asScanner(ticket.eventId), await as.asCoordinator(ticket.eventId)]
  ) {
    const seen = await staff.get(`/tickets/${ticket.id}`);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.code, undefined);
    assert.equal((await staff.get(`/tickets/${other.id}`)).status, 404);
    assert.equal((await staff.get(`/tickets/${ticket.id}/qr`)).status, 404);
  }
  assert.equal(
    (await (await as.asScanner(other.eventId)).get(`/tickets/${ticket.id}`)).status,
    404,
  );
});

dbTest("the QR renders the ticket's code as SVG or PNG", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const owner = await as.as(ticket.owner);
  const { code } = (await owner.get(`/tickets/${ticket.id}`)).body;
  const svg = await owner.get(`/tickets/${ticket.id}/qr?format=svg`);
  assert.equal(svg.status, 200);
  assert.match(svg.headers.get("content-type")!, /^image\/svg\+xml/);
  assert.equal(
    svg.body,
    await QRCode.toString(code, { type: "svg", errorCorrectionLevel: "M", margin: 2 }),
  );
  const png = await owner.get(`/tickets/${ticket.id}/qr?format=png`);
  assert.equal(png.status, 200);
  assert.equal(png.headers.get("content-type"), "image/png");
  assert.equal(png.body.slice(1, 4), "PNG");
  const bad = await owner.get(`/tickets/${ticket.id}/qr?format=gif`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.details[0].field, "query.format");
});
