/**
 * Behind a transaction pooler, as the deploy guide says (README, "Deploy",
 * Connections): DATABASE_URL on port 6543, DB_POOL_MAX=3, every function in
 * its own process under the Edge Runtime's Deno. The pooler is Debian's
 * PgBouncer in `pool_mode = transaction` (tests/support/pgbouncer.ts), which
 * like Supavisor keeps no prepared statement across transactions. First a
 * control shows that prepared statements really break through it, and that
 * the app turns them off for that URL; then the buyer's journey, a flash sale
 * and a burst of scans at the door run through it. Needs a real PostgreSQL and
 * Redis, and pgbouncer (`.ci/run` installs it and sets
 * CRODIFY_REQUIRE_PGBOUNCER=1, so CI never skips this).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { createSql } from "../../shared/db/connect.ts";
import { pgbouncerInstalled, startPgBouncer } from "../support/pgbouncer.ts";
import { flashSale, payEveryOrderTwice, scanBurst } from "./bursts.ts";
import { edgeDeno, withEdgeFunctions } from "./edge_functions.ts";
import { runJourney, stepper } from "./journey.ts";
import { productionStack } from "./stack.ts";

/** Server connections the pooler may open: fewer than the functions' 6 × 3 client connections. */
const POOL_SIZE = 5;
const DB_POOL_MAX = "3";

/**
 * One client runs a parameterised statement (postgres.js names and prepares
 * it when `prepare` is on), then runs it again in a transaction while another
 * client holds the server connection the first one used. Through a
 * transaction pooler the second run lands on another server connection.
 * Resolves with the error of the second run, or undefined when it worked.
 */
async function rerunOnAnotherServer(url: string, prepare: boolean): Promise<unknown> {
  const client = postgres(url, { max: 1, prepare, onnotice: () => {} });
  const holder = postgres(url, { max: 1, prepare: false, onnotice: () => {} });
  const statement = (db: postgres.Sql | postgres.TransactionSql) =>
    db<{ pid: number }[]>`select pg_backend_pid() as pid where ${1}::int = 1`;
  try {
    const [{ pid: first }] = await statement(client);
    return await holder.begin(async (held) => {
      const [{ pid }] = await held<{ pid: number }[]>`select pg_backend_pid() as pid`;
      // PgBouncer reuses the last released server connection first (LIFO).
      assert.equal(pid, first, "the holder was lent the server connection the client used");
      return await client.begin(async (tx) => {
        const [{ pid: second }] = await statement(tx);
        assert.notEqual(second, first, "the pooler gave the client another server connection");
      }).then(() => undefined, (error: unknown) => error);
    });
  } finally {
    await Promise.all([client.end({ timeout: 2 }), holder.end({ timeout: 2 })]);
  }
}

Deno.test({
  name: "behind a transaction pooler on port 6543: prepared statements off, " +
    "the journey, a flash sale and a burst of scans",
  ignore: !pgbouncerInstalled() && Deno.env.get("CRODIFY_REQUIRE_PGBOUNCER") !== "1",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const step = stepper(t);
    const deno = await edgeDeno();
    const stack = await productionStack();
    const pooler = await startPgBouncer(stack.databaseUrl, { poolSize: POOL_SIZE });
    try {
      await stack.migrate();

      await step("the pooler keeps no prepared statement across transactions", async () => {
        const error = await rerunOnAnotherServer(pooler.url, true);
        assert.ok(error, "a prepared statement ran on a server connection that never prepared it");
        assert.equal((error as { code?: string }).code, "26000", String(error));
        assert.match(String(error), /prepared statement .* does not exist/);
        assert.equal(await rerunOnAnotherServer(pooler.url, false), undefined);
      });

      await step(
        "the app turns prepared statements off on the pooler's port, only there",
        async () => {
          const pooled = createSql(pooler.url, { max: 1 });
          const direct = createSql(stack.databaseUrl, { max: 1 });
          try {
            assert.equal(new URL(pooler.url).port, "6543");
            assert.equal(pooled.options.prepare, false);
            assert.equal(direct.options.prepare, true);
          } finally {
            await Promise.all([pooled.end(), direct.end()]);
          }
        },
      );

      const env = { ...stack.env, DATABASE_URL: pooler.url, DB_POOL_MAX };
      await withEdgeFunctions(deno, env, async (edge) => {
        const at = () => `${edge.origin}/functions/v1`;
        const before = await pooler.stats();
        const { event, tickets } = await runJourney(t, stack, edge.origin);

        await step("a flash sale through the pooler: 60 buyers, 10 places, paid once", async () => {
          const sale = await flashSale(stack, at, { buyers: 60, capacity: 10 });
          await payEveryOrderTwice(stack, at, sale);
        });

        await step("40 scans at once of the journey's unscanned ticket: one ok", async () => {
          const ticket = tickets[1] as { id: string; code: string };
          await scanBurst(stack, at, {
            eventId: event.id,
            ticketId: ticket.id,
            code: ticket.code,
            scans: 40,
          });
        });

        await step("the traffic went through the pooler", async () => {
          const after = await pooler.stats();
          console.log(
            `through the pooler: ${after.transactions - before.transactions} transactions, ` +
              `${
                after.queries - before.queries
              } queries on at most ${POOL_SIZE} server connections`,
          );
          assert.ok(after.transactions - before.transactions > 100, JSON.stringify(after));
        });
      });
    } finally {
      await pooler.stop();
      await stack.close();
    }
  },
});
