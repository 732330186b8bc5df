/**
 * The held-counter and order-transition migrations move a live database
 * without loss: the schema as it was before them (every migration that sorts
 * earlier), holds in flight (live and expired) and a paid order, then the
 * migrations, then the books — and the old orders keep moving through the new
 * functions.
 */
import assert from "node:assert/strict";
import { createSql } from "../../shared/db/connect.ts";
import { applyMigrations, ensureLocalSupabase } from "../../shared/db/migrate.ts";
import type { Sql } from "../../shared/db/mod.ts";
import { createScratchDatabase } from "../support/scratch_db.ts";
import { setupHarness } from "../support/harness.ts";
import { HELD_COUNTER_VERSION, migrationsBefore } from "../support/old_schema.ts";

async function newBuyer(sql: Sql): Promise<string> {
  const [user] = await sql<{ id: string }[]>`
    insert into auth.users (id, aud, role, email)
    values (gen_random_uuid(), 'authenticated', 'authenticated',
            'buyer-' || gen_random_uuid() || '@test.crodify.local') returning id`;
  return user.id;
}

/** Reserves through the old, positional reserve_tickets; returns the order id. */
async function oldReserve(sql: Sql, eventId: string, typeId: string, quantity: number) {
  const buyerId = await newBuyer(sql);
  const [{ order }] = await sql<{ order: { order_id: string } }[]>`
    select public.reserve_tickets(${buyerId}, null, ${eventId},
      ${sql.json([{ ticket_type_id: typeId, quantity }])}, '[]'::jsonb, ${crypto.randomUUID()},
      'old', 15) as "order"`;
  return order.order_id;
}

const serverUrl = Deno.env.get("DATABASE_URL");

Deno.test({
  name: "migrating a live database keeps holds in flight and paid orders, and the books balance",
  ignore: !serverUrl, // needs a database of its own on a real server
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await setupHarness(); // config for the pool
    const scratch = await createScratchDatabase(serverUrl!, "crodify_test_migrate_");
    const sql = createSql(scratch.url, { max: 2 });
    const oldSchema = await migrationsBefore(HELD_COUNTER_VERSION);
    try {
      await ensureLocalSupabase(sql);
      await applyMigrations(sql, oldSchema.url);
      const [event] = await sql<{ id: string }[]>`
        insert into public.events (slug, title, venue, starts_at, ends_at, status)
        values ('migrate', 'Migrate', 'Hall', now() + interval '7 days',
                now() + interval '7 days 4 hours', 'published') returning id`;
      const [type] = await sql<{ id: string }[]>`
        insert into public.ticket_types (event_id, name, price, capacity)
        values (${event.id}, 'General', 1000, 10) returning id`;
      const live = await oldReserve(sql, event.id, type.id, 2);
      const walkedAway = await oldReserve(sql, event.id, type.id, 3);
      await sql`update public.orders set expires_at = now() - interval '1 minute'
                 where id = ${walkedAway}`;
      await sql`update public.order_items set held_until = now() - interval '1 minute'
                 where order_id = ${walkedAway}`;
      const paid = await oldReserve(sql, event.id, type.id, 4);
      await sql.begin(async (tx) => {
        // What the old TypeScript did for an approved payment.
        await tx`select public.issue_order_tickets(${paid})`;
        await tx`update public.orders set status = 'paid', paid_at = now(),
                   provider_payment_id = '111' where id = ${paid}`;
      });

      await applyMigrations(sql);

      const books = async () =>
        (await sql`select t.capacity, t.sold, t.held, public.ticket_type_held(t.id) as live,
                          (select count(*)::int from public.tickets k
                            where k.ticket_type_id = t.id and k.status = 'valid') as tickets,
                          (select count(*)::int from public.ticket_type_hold_drift()) as drift
                     from public.ticket_types t where t.id = ${type.id}`)[0];
      // The expired hold is counted until released, as every hold is from now on.
      assert.deepEqual({ ...await books() }, {
        capacity: 10,
        sold: 4,
        held: 5,
        live: 2,
        tickets: 4,
        drift: 0,
      });
      // A new buyer finds room by releasing the expired hold (named arguments, new signature).
      const [{ order }] = await sql`
        select public.reserve_tickets(p_buyer_id => ${await newBuyer(sql)},
          p_event_id => ${event.id}, p_items => ${
        sql.json([{ ticket_type_id: type.id, quantity: 4 }])
      },
          p_idempotency_key => 'after', p_request_hash => 'new', p_hold_minutes => 15) as "order"`;
      assert.equal(order.status, "pending");
      assert.deepEqual({ ...await books() }, {
        capacity: 10,
        sold: 4,
        held: 6,
        live: 6,
        tickets: 4,
        drift: 0,
      });
      // The hold taken before the migration is paid through the new transition.
      const [{ result }] = await sql`
        select public.pay_order(p_order_id => ${live}, p_provider => 'mercadopago',
          p_payment_id => '222', p_provider_status => 'approved', p_amount => 2000,
          p_currency => 'ARS') as result`;
      assert.equal(result.outcome, "paid");
      const [{ expired }] = await sql`select public.sweep_expired_orders() as expired`;
      assert.equal(expired, 1);
      const statuses = await sql`select id, status from public.orders
                                  where id in (${live}, ${walkedAway}, ${paid})`;
      assert.deepEqual(
        Object.fromEntries(statuses.map((o) => [o.id, o.status])),
        { [live]: "paid", [walkedAway]: "expired", [paid]: "paid" },
      );
      assert.deepEqual({ ...await books() }, {
        capacity: 10,
        sold: 6,
        held: 4,
        live: 4,
        tickets: 6,
        drift: 0,
      });
    } finally {
      await sql.end();
      await scratch.drop();
      await oldSchema.remove();
    }
  },
});
