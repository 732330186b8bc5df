/**
 * What Supabase Studio and the Auth dashboard can do to the data
 * (supabase/migrations/*_studio_safe.sql): deleting a user keeps the money
 * trail with the buyer anonymised, `authenticated` writes no table, and edits
 * made as `postgres` land in audit_log.
 */
import assert from "node:assert/strict";
import { dbTest, setupHarness } from "../support/harness.ts";
import { assignStaff, makeEvent, makeTicketType, makeUser } from "../support/builders.ts";
import { makeOrder, payOrder } from "../support/purchase_builders.ts";
import { asPostgrestRole, pgErrorCode } from "../support/rls.ts";
import type { Sql } from "../../shared/db/mod.ts";

/** The Auth dashboard's delete: Supabase Auth runs it as supabase_auth_admin. */
async function deleteUserAsAuth(sql: Sql, userId: string): Promise<void> {
  // Supabase Auth owns auth.users; the local stand-in needs the grant.
  await sql`grant select, delete on auth.users to supabase_auth_admin`;
  await sql.begin(async (tx) => {
    await tx.unsafe("set local role supabase_auth_admin");
    await tx`delete from auth.users where id = ${userId}`;
  });
}

dbTest(
  "deleting a user keeps their orders and refunds, anonymised; tickets stay valid",
  async () => {
    const { sql } = await setupHarness();
    const buyer = await makeUser(sql);
    await sql`update public.profiles set display_name = 'Ana Buyer' where id = ${buyer.id}`;
    const event = await makeEvent(sql, { status: "published" });
    const type = await makeTicketType(sql, event.id, { price: 1000, capacity: 10 });
    const paid = await makeOrder(sql, {
      buyer,
      eventId: event.id,
      items: [{ ticketTypeId: type.id, quantity: 2 }],
    });
    assert.equal(await payOrder(sql, paid.order_id, "pay-1"), 2);
    await sql`insert into public.refunds (order_id, provider_payment_id, amount, currency, reason)
            values (${paid.order_id}, 'pay-dup', 2000, 'ARS', 'duplicate_payment')`;
    const pending = await makeOrder(sql, {
      buyer,
      eventId: event.id,
      items: [{ ticketTypeId: type.id, quantity: 1 }],
    });

    await deleteUserAsAuth(sql, buyer.id);

    const orders = await sql<
      { id: string; buyer_id: string | null; buyer_email: string; buyer_name: string }[]
    >`
    select id, buyer_id, buyer_email, buyer_name, buyer_deleted_at is not null as marked
      from public.orders where id in (${paid.order_id}, ${pending.order_id}) order by created_at`;
    assert.deepEqual(
      orders.map((o) => ({ ...o })),
      [paid.order_id, pending.order_id].map((id) => ({
        id,
        buyer_id: null,
        buyer_email: buyer.email,
        buyer_name: "Ana Buyer",
        marked: true,
      })),
    );
    const tickets = await sql`
    select owner_id, status, attendee_email from public.tickets where order_id = ${paid.order_id}`;
    assert.deepEqual(
      tickets.map((t) => ({ ...t })),
      [1, 2].map(() => ({ owner_id: null, status: "valid", attendee_email: buyer.email })),
    );
    const [{ refunds }] = await sql`
    select count(*)::int as refunds from public.refunds where order_id = ${paid.order_id}`;
    assert.equal(refunds, 1);
    const [audit] = await sql`
    select data from public.audit_log where action = 'user.deleted' and entity_id = ${buyer.id}`;
    assert.equal(audit.data.orders_kept, 2);
    assert.equal(audit.data.tickets_kept, 2);
    assert.equal(audit.data.db_role, "supabase_auth_admin");
    const [{ paidAudits }] = await sql`
    select count(*)::int as "paidAudits" from public.audit_log
     where entity_id = ${paid.order_id} and action like 'order.%'`;
    assert.ok(paidAudits >= 1, "the order's own audit rows are kept");

    // An order still pending when its buyer left can be paid: its tickets belong to no account.
    assert.equal(await payOrder(sql, pending.order_id, "pay-2"), 1);
    const [late] = await sql`
    select owner_id, status from public.tickets where order_id = ${pending.order_id}`;
    assert.deepEqual({ ...late }, { owner_id: null, status: "valid" });
  },
);

dbTest("authenticated and anon hold no write privilege on any public table", async () => {
  const { sql } = await setupHarness();
  const grants = await sql`
    select table_name, privilege_type, grantee from information_schema.role_table_grants
     where table_schema = 'public' and grantee in ('anon', 'authenticated')
       and privilege_type in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
    union all
    select table_name, privilege_type, grantee from information_schema.column_privileges
     where table_schema = 'public' and grantee in ('anon', 'authenticated')
       and privilege_type in ('INSERT', 'UPDATE')`;
  assert.deepEqual(grants.map((g) => ({ ...g })), []);

  const admin = await makeUser(sql, ["admin"]);
  const event = await makeEvent(sql, { status: "published" });
  const claims = { sub: admin.id, user_roles: ["user", "admin"] };
  for (
    const statement of [
      `update public.events set title = 'x' where id = '${event.id}'`,
      `insert into public.ticket_types (event_id, name, price, capacity)
         values ('${event.id}', 'sneaky', 0, 1)`,
      `update public.profiles set display_name = 'x' where id = '${admin.id}'`,
    ]
  ) {
    const code = await pgErrorCode(() =>
      asPostgrestRole(sql, "authenticated", claims, (tx) => tx.unsafe(statement))
    );
    assert.equal(code, "42501", statement);
  }
  // Reads are unchanged: an admin sees drafts, anon sees published events only.
  const draft = await makeEvent(sql, { status: "draft" });
  const seen = await asPostgrestRole(
    sql,
    "authenticated",
    claims,
    (tx) => tx`select id from public.events where id = ${draft.id}`,
  );
  assert.equal(seen.length, 1);
  const anon = await asPostgrestRole(
    sql,
    "anon",
    {},
    (tx) => tx`select id from public.events where id = ${draft.id}`,
  );
  assert.equal(anon.length, 0);
});

dbTest("edits made as postgres (Studio) are audited; purchase counters are not", async () => {
  const { sql } = await setupHarness();
  const event = await makeEvent(sql, { status: "published" });
  const type = await makeTicketType(sql, event.id, { capacity: 10 });
  const scanner = await makeUser(sql);
  await assignStaff(sql, event.id, scanner.id, "scanner");
  const since = (await sql`select max(id) as id from public.audit_log`)[0].id ?? 0;

  await sql`update public.events set title = 'Renamed in Studio' where id = ${event.id}`;
  await sql`update public.ticket_types set capacity = 20 where id = ${type.id}`;
  await sql`update public.ticket_types set held = held + 1 where id = ${type.id}`;
  await sql`update public.ticket_types set held = held - 1 where id = ${type.id}`;
  await sql`delete from public.event_staff where event_id = ${event.id}`;

  const rows = await sql`
    select actor_id, action, entity, entity_id, data from public.audit_log
     where id > ${since} and action like 'row.%' order by id`;
  assert.deepEqual(
    rows.map((r) => [r.action, r.entity, r.entity_id, r.actor_id, r.data.db_role]),
    [
      ["row.update", "events", event.id, null, "postgres"],
      ["row.update", "ticket_types", type.id, null, "postgres"],
      ["row.delete", "event_staff", scanner.id, null, "postgres"],
    ],
  );
  assert.deepEqual(rows[0].data.changes.title.new, "Renamed in Studio");
  assert.deepEqual(rows[1].data.changes, { capacity: { old: 10, new: 20 } });

  // A write that brings its own audit row (as the functions do) is not audited twice.
  await sql.begin(async (tx) => {
    await tx`update public.events set title = 'Renamed by the API' where id = ${event.id}`;
    await tx`insert into public.audit_log (action, entity, entity_id)
             values ('event.updated', 'event', ${event.id})`;
  });
  const [{ n }] = await sql`select count(*)::int as n from public.audit_log
                              where id > ${since} and action like 'row.%'`;
  assert.equal(n, 3);
});
