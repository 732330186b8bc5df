/**
 * Invariant 1 (no oversell) under a flash sale: 500 buyers at once for 50
 * places, five times over, through the real route, then every hold paid
 * through the webhook.
 */
import assert from "node:assert/strict";
import { dbTest } from "../support/harness.ts";
import { callerFor } from "../support/callers.ts";
import { hs256Token } from "../support/tokens.ts";
import { makeBuyers } from "../support/purchase_builders.ts";
import { eventOnSale, key, purchaseBody, purchaseEnv } from "./env.ts";
import { deliver } from "./webhook_support.ts";
import { tally } from "../support/outcomes.ts";

// The acceptance numbers run on a real PostgreSQL; the embedded PGlite (one
// connection, for `deno task ok` without DATABASE_URL) gets a smaller sale.
const onPostgres = Boolean(Deno.env.get("DATABASE_URL"));
const BUYERS = onPostgres ? 500 : 100;
const CAPACITY = onPostgres ? 50 : 10;
const ROUNDS = onPostgres ? 5 : 1;

dbTest(
  `flash sale: ${BUYERS} concurrent buyers, capacity ${CAPACITY} → exactly ${CAPACITY} holds, ${ROUNDS} rounds`,
  async () => {
    const { sql, app, fake } = await purchaseEnv();
    for (let round = 1; round <= ROUNDS; round++) {
      const { event, ticketType } = await eventOnSale(sql, { capacity: CAPACITY, price: 10_000 });
      const buyers = await makeBuyers(sql, BUYERS);
      const callers = await Promise.all(
        buyers.map(async (user) =>
          callerFor(
            app,
            await hs256Token({ sub: user.id, email: user.email, roles: user.roles }),
            user,
          )
        ),
      );
      const started = performance.now();
      const responses = await Promise.all(
        callers.map((c) => c.post("/purchases", purchaseBody(event.id, ticketType.id), key())),
      );
      const ms = Math.round(performance.now() - started);
      const byOutcome = tally(
        responses.map((r) => r.status === 201 ? "created" : `${r.status} ${r.body.error?.code}`),
      );
      console.log(`round ${round}: ${BUYERS} requests in ${ms} ms`, JSON.stringify(byOutcome));
      assert.deepEqual(byOutcome, { created: CAPACITY, "409 sold_out": BUYERS - CAPACITY });
      const [counts] = await sql`
      select public.ticket_type_held(${ticketType.id}) as held,
             (select sold from public.ticket_types where id = ${ticketType.id}) as sold,
             (select count(*)::int from public.orders where event_id = ${event.id}) as orders`;
      assert.deepEqual({ ...counts }, { held: CAPACITY, sold: 0, orders: CAPACITY });

      // Every holder pays; the notifications arrive all at once.
      const created = responses.filter((r) => r.status === 201);
      const payments = created.map((r) =>
        fake.addPayment({
          status: "approved",
          external_reference: r.body.order_id,
          transaction_amount: r.body.total / 100,
          currency_id: "ARS",
        })
      );
      const delivered = await Promise.all(payments.map((id) => deliver(app, id)));
      assert.ok(delivered.every((d) => d.status === 200 && d.body.state === "processed"));
      const [after] = await sql`
      select public.ticket_type_held(${ticketType.id}) as held,
             (select sold from public.ticket_types where id = ${ticketType.id}) as sold,
             (select count(*)::int from public.tickets where ticket_type_id = ${ticketType.id})
               as tickets`;
      assert.deepEqual({ ...after }, { held: 0, sold: CAPACITY, tickets: CAPACITY });
    }
  },
);
