/**
 * The catalog through PostgREST: anon and signed-in users see published events
 * and their active ticket types only; admins (by JWT claim) see everything.
 * Nobody writes through PostgREST: writes go through the functions, which
 * audit them, invalidate the cache and apply the status rules.
 */
import assert from "node:assert/strict";
import { dbTest, setupHarness } from "../support/harness.ts";
import { makeEvent, makeUser } from "../support/builders.ts";
import { makeTicketType } from "../support/events_builders.ts";
import { asPostgrestRole, pgErrorCode } from "../support/rls.ts";
import type { Sql, Tx } from "../../shared/db/mod.ts";

async function catalog(sql: Sql) {
  const published = await makeEvent(sql, { status: "published" });
  const draft = await makeEvent(sql, { status: "draft" });
  const cancelled = await makeEvent(sql, { status: "cancelled" });
  const active = await makeTicketType(sql, published.id);
  const inactive = await makeTicketType(sql, published.id, { isActive: false });
  const ofDraft = await makeTicketType(sql, draft.id);
  return { published, draft, cancelled, active, inactive, ofDraft };
}

const visibleEvents = (tx: Tx, ids: string[]) =>
  tx<{ id: string }[]>`select id from public.events where id = any(${ids})`;
const visibleTypes = (tx: Tx, ids: string[]) =>
  tx<{ id: string }[]>`select id from public.ticket_types where id = any(${ids})`;

dbTest("RLS: anon and users see published events and active ticket types only", async () => {
  const { sql } = await setupHarness();
  const c = await catalog(sql);
  const user = await makeUser(sql);
  const eventIds = [c.published.id, c.draft.id, c.cancelled.id];
  const typeIds = [c.active.id, c.inactive.id, c.ofDraft.id];
  for (const [role, claims] of [["anon", {}], ["authenticated", { sub: user.id }]] as const) {
    const seen = await asPostgrestRole(sql, role, claims, async (tx) => ({
      events: (await visibleEvents(tx, eventIds)).map((r) => r.id),
      types: (await visibleTypes(tx, typeIds)).map((r) => r.id),
    }));
    assert.deepEqual(seen, { events: [c.published.id], types: [c.active.id] }, role);
  }
  const admin = await asPostgrestRole(sql, "authenticated", {
    sub: user.id,
    user_roles: ["user", "admin"],
  }, async (tx) => (await visibleEvents(tx, eventIds)).length);
  assert.equal(admin, 3);
});

dbTest(
  "RLS: nobody writes the catalog through PostgREST, admins neither (the functions do)",
  async () => {
    const { sql } = await setupHarness();
    const c = await catalog(sql);
    const user = await makeUser(sql);
    // One transaction per probe: after an error Postgres refuses the rest of a transaction.
    const probes: ((tx: Tx) => Promise<unknown>)[] = [
      (tx) =>
        tx`insert into public.events (slug, title, starts_at, ends_at)
         values ('rls-probe', 'x', now(), now() + interval '1 hour')`,
      (tx) => tx`update public.events set title = 'x' where id = ${c.published.id}`,
      (tx) => tx`delete from public.ticket_types where id = ${c.active.id}`,
      (tx) =>
        tx`insert into public.event_staff (event_id, user_id, role)
         values (${c.published.id}, ${user.id}, 'scanner')`,
      (tx) => tx`select public.event_checkin_stats(${c.published.id})`,
    ];
    const callers = [
      ["anon", {}],
      ["authenticated", { sub: user.id, user_roles: ["user", "coordinator"] }],
      ["authenticated", { sub: user.id, user_roles: ["user", "admin"] }],
    ] as const;
    for (const [role, claims] of callers) {
      const codes = [];
      for (const probe of probes) {
        codes.push(await asPostgrestRole(sql, role, claims, (tx) => pgErrorCode(() => probe(tx))));
      }
      assert.deepEqual(
        codes,
        ["42501", "42501", "42501", "42501", "42501"],
        JSON.stringify(claims),
      );
    }
    const [{ title }] = await sql`select title from public.events where id = ${c.published.id}`;
    assert.equal(title, c.published.title);
  },
);
