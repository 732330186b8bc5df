/**
 * `deno task start`, the self-hosted production server, as an operator runs
 * it: production config rules at boot, no migration or demo data of its own
 * (`deno task migrate` does that), the buyer's journey end to end on a fresh
 * database, `deno task worker` running the periodic jobs, and a graceful
 * SIGTERM. Needs a real PostgreSQL and Redis: `deno task test:deploy`.
 */
import assert from "node:assert/strict";
import { queueTestEmails } from "../support/notification_builders.ts";
import { runJourney } from "./journey.ts";
import { inherited, startServer, startWorker, taskArgs } from "./processes.ts";
import { productionStack } from "./stack.ts";

const test = (name: string, fn: (t: Deno.TestContext) => Promise<void>) =>
  Deno.test({ name, sanitizeOps: false, sanitizeResources: false, fn });

async function runTask(task: string, env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: await taskArgs(task),
    clearEnv: true,
    env: { ...inherited(), ...env, HOST: "127.0.0.1", PORT: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

test("deno task start refuses to boot without a production secret, or outside production", async () => {
  const stack = await productionStack();
  try {
    const { TICKET_SIGNING_KEYS: _, ...withoutKeys } = stack.env;
    const missing = await runTask("start", withoutKeys);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /TICKET_SIGNING_KEYS/);
    assert.doesNotMatch(missing.stderr, /\bat file:/, "a message, not a stack trace");
    const dev = await runTask("start", { ...stack.env, APP_ENV: "development" });
    assert.equal(dev.code, 1);
    assert.match(dev.stderr, /APP_ENV=production/);
  } finally {
    await stack.close();
  }
});

test("deno task start on a fresh database: migrate, the journey, the worker, SIGTERM", async (t) => {
  const stack = await productionStack();
  const server = await startServer(stack.env);
  try {
    await t.step("the server neither migrates nor seeds", async () => {
      const live = await fetch(`${server.origin}/functions/v1/health`);
      assert.equal(live.status, 200, await live.text());
      const [{ events }] = await stack.sql`select to_regclass('public.events') as events`;
      assert.equal(events, null);
    });
    await t.step("deno task migrate applies the schema, without demo data", async () => {
      const migrated = await runTask("migrate", stack.env);
      assert.equal(migrated.code, 0, migrated.stderr);
      const [{ n }] = await stack.sql`select count(*)::int as n from public.events`;
      assert.equal(n, 0);
    });
    await t.step("the buyer's journey end to end", async (s) => {
      await runJourney(s, stack, server.origin);
    });
    await t.step("deno task worker dispatches mail queued with no kick", async () => {
      const worker = await startWorker(stack.env, `${server.origin}/functions/v1`);
      try {
        const [to] = await queueTestEmails(stack.sql, 1, `worker-${crypto.randomUUID()}`);
        const deadline = Date.now() + 20_000;
        while (!stack.sendgrid.accepted().some((m) => m.to === to)) {
          assert.ok(Date.now() < deadline, "the worker's mail dispatch did not run within 20 s");
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      } finally {
        assert.equal((await worker.stop()).code, 0);
      }
    });
    await t.step(
      "SIGTERM: the in-flight purchase completes, then the process exits 0",
      async () => {
        const cast = await stack.cast();
        const [{ id: eventId }] = await stack.sql`select id from public.events limit 1`;
        const [{ id: typeId }] = await stack.sql`
        select id from public.ticket_types where event_id = ${eventId} limit 1`;
        stack.mercadoPago.delay("preferences", 1500);
        const inFlight = fetch(`${server.origin}/functions/v1/purchases`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${cast.buyer.token}`,
            "content-type": "application/json",
            "idempotency-key": crypto.randomUUID(),
          },
          body: JSON.stringify({
            event_id: eventId,
            items: [{ ticket_type_id: typeId, quantity: 1 }],
          }),
        });
        await new Promise((resolve) => setTimeout(resolve, 500));
        const exited = server.stop("SIGTERM");
        const response = await inFlight;
        assert.equal(response.status, 201, await response.text());
        assert.equal((await exited).code, 0);
        assert.ok(server.stdout.lines.some((l) => l.includes('"msg":"server stopped"')));
        await assert.rejects(fetch(`${server.origin}/functions/v1/health`));
      },
    );
  } catch (error) {
    console.error(`server stderr:\n${server.stderr.lines.slice(-20).join("\n")}`);
    throw error;
  } finally {
    await server.stop();
    await stack.close();
  }
});
