/**
 * Horizontal scale, for real: two `deno task start` processes on one
 * database and one Redis, every client alternating between them. A flash
 * sale sells exactly its capacity (invariant 1), every notification pays
 * exactly once (2), and concurrent scans of one ticket at both servers admit
 * it once (4). Needs a real PostgreSQL and Redis: `deno task test:deploy`.
 */
import assert from "node:assert/strict";
import { assignStaff, makeUser } from "../support/builders.ts";
import { makeBuyers, signedNotification } from "../support/purchase_builders.ts";
import { hs256Token } from "../support/tokens.ts";
import { eventOnSale, purchaseBody } from "../purchases/env.ts";
import { type ServiceProcess, startServer } from "./processes.ts";
import { productionStack } from "./stack.ts";

const BUYERS = 200;
const CAPACITY = 30;
const SCANS = 40;

const tally = (outcomes: string[]) =>
  outcomes.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o]: (acc[o] ?? 0) + 1 }), {});

Deno.test({
  name: `two servers, one database and Redis: ${BUYERS} buyers for ${CAPACITY} places, ` +
    `${SCANS} scans of one ticket`,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const stack = await productionStack();
    const servers: ServiceProcess[] = [];
    try {
      await stack.migrate();
      // Two pools of 10: the database sees twenty connections, as two instances would open.
      const env = { ...stack.env, DB_POOL_MAX: "10" };
      servers.push(await startServer(env), await startServer(env));
      const at = (i: number) => `${servers[i % 2].origin}/functions/v1`;
      const call = async (i: number, path: string, token: string | undefined, body?: unknown) => {
        const response = await fetch(`${at(i)}${path}`, {
          method: body === undefined ? "GET" : "POST",
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            "content-type": "application/json",
            "idempotency-key": crypto.randomUUID(),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: response.status, body: await response.json() };
      };
      const token = (u: { id: string; email: string; roles: string[] }) =>
        hs256Token({ sub: u.id, email: u.email, roles: u.roles as never }, stack.jwtSecret);
      const { event, ticketType } = await eventOnSale(
        stack.sql,
        { capacity: CAPACITY, price: 10_000 },
        { startsInHours: 1, durationHours: 4 },
      );
      const buyers = await makeBuyers(stack.sql, BUYERS);
      const tokens = await Promise.all(buyers.map(token));
      let orders: { order_id: string; total: number; buyer: number }[] = [];

      await t.step("flash sale across both servers: exactly the capacity is held", async () => {
        const responses = await Promise.all(
          tokens.map((tk, i) => call(i, "/purchases", tk, purchaseBody(event.id, ticketType.id))),
        );
        const outcomes = responses.map((r) =>
          r.status === 201 ? "created" : `${r.status} ${r.body.error?.code}`
        );
        assert.deepEqual(tally(outcomes), { created: CAPACITY, "409 sold_out": BUYERS - CAPACITY });
        orders = responses.flatMap((r, buyer) => r.status === 201 ? [{ ...r.body, buyer }] : []);
        const [counts] = await stack.sql`
          select public.ticket_type_held(${ticketType.id}) as held,
                 (select count(*)::int from public.orders where event_id = ${event.id}) as orders`;
        assert.deepEqual({ ...counts }, { held: CAPACITY, orders: CAPACITY });
      });

      await t.step("every payment notified twice, once at each server: paid once", async () => {
        const secret = stack.env.MERCADOPAGO_WEBHOOK_SECRET;
        const deliveries = await Promise.all(orders.flatMap((order) => {
          const paymentId = stack.mercadoPago.addPayment({
            status: "approved",
            external_reference: order.order_id,
            transaction_amount: order.total / 100,
            currency_id: "ARS",
          });
          return [0, 1].map(async (server) => {
            const n = await signedNotification(paymentId, { secret });
            const response = await fetch(`${at(server)}${n.path}`, {
              method: "POST",
              headers: n.headers,
              body: JSON.stringify(n.body),
            });
            return `${response.status} ${(await response.json()).state}`;
          });
        }));
        console.log("webhook deliveries:", JSON.stringify(tally(deliveries)));
        assert.ok(deliveries.every((d) => d.startsWith("200 ")), JSON.stringify(tally(deliveries)));
        // A delivery that met a busy row (lock_timeout) is kept and retried with backoff by the
        // sweep, which `deno task worker` calls; here it is called at both servers in turn.
        const deadline = Date.now() + 90_000;
        for (let round = 0; Date.now() < deadline; round++) {
          const [{ pending }] = await stack.sql`
            select count(*)::int as pending from public.orders
             where event_id = ${event.id} and status <> 'paid'`;
          if (pending === 0) break;
          const sweep = await fetch(`${at(round)}/purchases/sweep`, {
            method: "POST",
            headers: { "x-scheduler-secret": stack.env.SCHEDULER_SECRET },
          });
          assert.equal(sweep.status, 200, await sweep.text());
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
        const [after] = await stack.sql`
          select public.ticket_type_held(${ticketType.id}) as held,
                 (select sold from public.ticket_types where id = ${ticketType.id}) as sold,
                 (select count(*)::int from public.tickets where ticket_type_id = ${ticketType.id})
                   as tickets`;
        assert.deepEqual({ ...after }, { held: 0, sold: CAPACITY, tickets: CAPACITY });
      });

      await t.step(`${SCANS} scans of one ticket at both servers: one ok`, async () => {
        const buyer = buyers[orders[0].buyer];
        const mine = await call(0, `/tickets/user/${buyer.id}`, tokens[orders[0].buyer]);
        assert.equal(mine.status, 200, JSON.stringify(mine.body));
        const { id: ticketId, code } = mine.body.tickets[0];
        const scanners = await Promise.all([1, 2, 3, 4].map(async () => {
          const scanner = await makeUser(stack.sql, ["scanner"]);
          await assignStaff(stack.sql, event.id, scanner.id, "scanner");
          return await token(scanner);
        }));
        const scans = await Promise.all(
          Array.from(
            { length: SCANS },
            (_, i) =>
              call(i, "/tickets/validate", scanners[i % scanners.length], {
                code,
                event_id: event.id,
                gate: `gate-${i % 2}`,
                device_id: `device-${i % scanners.length}`,
              }),
          ),
        );
        assert.deepEqual(scans.map((s) => s.status).filter((s) => s !== 200), []);
        assert.deepEqual(tally(scans.map((s) => s.body.result)), {
          ok: 1,
          already_redeemed: SCANS - 1,
        });
        const [{ attempts }] = await stack.sql`
          select count(*)::int as attempts from public.checkins where ticket_id = ${ticketId}`;
        assert.equal(attempts, SCANS);
      });
    } catch (error) {
      for (const server of servers) {
        console.error(`server stderr:\n${server.stderr.lines.slice(-15).join("\n")}`);
        console.error(
          server.stdout.lines.filter((l) => /"level":"(warn|error)"/.test(l)).slice(0, 8).join(
            "\n",
          ),
        );
      }
      throw error;
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      await stack.close();
    }
  },
});
