/** The checkins table guards itself: RLS by event staff, no RPC check-in, append-only. */
import assert from "node:assert/strict";
import { dbTest, setupHarness } from "../support/harness.ts";
import { assignStaff, makeUser } from "../support/builders.ts";
import { asPostgrestRole, pgErrorCode } from "../support/rls.ts";
import { makeTicket } from "../support/ticket_builders.ts";

dbTest("RLS: check-ins are visible to staff of their event and admins only", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const scanner = await makeUser(sql, ["scanner"]);
  await assignStaff(sql, ticket.eventId, scanner.id, "scanner");
  await sql`select public.checkin_ticket(${ticket.id}, ${ticket.eventId}, ${scanner.id}, 'entry',
                                         'A', null, null, now())`;
  const count = (claims: Record<string, unknown>) =>
    asPostgrestRole(sql, "authenticated", claims, async (tx) => {
      const [{ n }] = await tx`select count(*)::int as n from public.checkins
                                where event_id = ${ticket.eventId}`;
      return n;
    });
  const stranger = await makeUser(sql, ["scanner"]);
  assert.equal(await count({ sub: scanner.id, user_roles: ["user", "scanner"] }), 1);
  assert.equal(await count({ sub: stranger.id, user_roles: ["user", "scanner"] }), 0);
  assert.equal(await count({ sub: ticket.owner.id, user_roles: ["user"] }), 0);
  assert.equal(await count({ sub: stranger.id, user_roles: ["user", "admin"] }), 1);
  const anon = await asPostgrestRole(
    sql,
    "anon",
    {},
    (tx) => pgErrorCode(() => tx`select * from public.checkins`),
  );
  assert.equal(anon, "42501");
});

dbTest(
  "PostgREST cannot call the check-in or stats functions; check-ins are append-only",
  async () => {
    const { sql } = await setupHarness();
    const ticket = await makeTicket(sql);
    const user = await makeUser(sql);
    const rpc = await asPostgrestRole(
      sql,
      "authenticated",
      { sub: user.id, user_roles: ["user"] },
      (tx) =>
        pgErrorCode(() =>
          tx`select public.checkin_ticket(${ticket.id}, ${ticket.eventId}, ${user.id}, 'entry',
                                        null, null, null, now())`
        ),
    );
    assert.equal(rpc, "42501");
    const stats = await asPostgrestRole(
      sql,
      "authenticated",
      { sub: user.id, user_roles: ["user"] },
      (tx) => pgErrorCode(() => tx`select public.event_checkin_stats(${ticket.eventId})`),
    );
    assert.equal(stats, "42501");
    await sql`select public.checkin_ticket(${ticket.id}, ${ticket.eventId}, ${user.id}, 'entry',
                                         null, null, null, now())`;
    assert.equal(await pgErrorCode(() => sql`update public.checkins set result = 'ok'`), "55000");
    assert.equal(await pgErrorCode(() => sql`delete from public.checkins`), "55000");
    // The door state stays coherent even under a hand edit.
    assert.equal(
      await pgErrorCode(() =>
        sql`update public.tickets set inside = true, entries = 0
                                 where id = ${ticket.id}`
      ),
      "23514",
    );
  },
);
