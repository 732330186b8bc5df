/**
 * Horizontal scale, for real: two `deno task start` processes on one
 * database and one Redis, every client alternating between them. A flash
 * sale sells exactly its capacity (invariant 1), every notification pays
 * exactly once (2), and concurrent scans of one ticket at both servers admit
 * it once (4). Needs a real PostgreSQL and Redis: `deno task test:deploy`.
 */
import assert from "node:assert/strict";
import { caller, type FlashSale, flashSale, payEveryOrderTwice, scanBurst } from "./bursts.ts";
import { type ServiceProcess, startServer } from "./processes.ts";
import { productionStack } from "./stack.ts";

const BUYERS = 200;
const CAPACITY = 30;
const SCANS = 40;

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
      let sale: FlashSale | undefined;

      await t.step("flash sale across both servers: exactly the capacity is held", async () => {
        sale = await flashSale(stack, at, { buyers: BUYERS, capacity: CAPACITY });
      });

      await t.step("every payment notified twice, once at each server: paid once", async () => {
        await payEveryOrderTwice(stack, at, sale!);
      });

      await t.step(`${SCANS} scans of one ticket at both servers: one ok`, async () => {
        const buyer = sale!.orders[0].buyer;
        const mine = await caller(at)(
          0,
          `/tickets/user/${sale!.buyers[buyer].id}`,
          sale!.tokens[buyer],
        );
        assert.equal(mine.status, 200, JSON.stringify(mine.body));
        const { id: ticketId, code } = mine.body.tickets[0];
        await scanBurst(stack, at, { eventId: sale!.eventId, ticketId, code, scans: SCANS });
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
