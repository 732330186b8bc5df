/**
 * The local gateway (`deno task dev`) seeds demo users — an admin among them —
 * and prints their tokens: it must never be what production runs, and it
 * never prints a usable token outside development.
 */
import assert from "node:assert/strict";
import { DEMO_USERS } from "../../functions/_dev/demo.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { productionEnv } from "../support/production_env.ts";
import { startGatewayProcess } from "../support/gateway_process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
// Three base64url segments starting like every JSON header: any JWT, whoever signed it.
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

dbTest("the dev gateway refuses APP_ENV=production before touching the database", async () => {
  const harness = await setupHarness();
  const env = Object.fromEntries(
    Object.entries(await productionEnv(harness.env)).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "functions/serve.ts"],
    cwd: ROOT,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH")!, HOME: Deno.env.get("HOME")!, ...env, PORT: "0" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Today's refusal is immediate; a gateway that starts instead is killed after 30 s.
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const out = new TextDecoder().decode(stdout);
  const err = new TextDecoder().decode(stderr);
  assert.notEqual(code, 0, "the gateway must not run in production");
  assert.match(err, /APP_ENV=production/);
  assert.doesNotMatch(out + err, JWT, "no token printed");
  const demo = await harness.sql`select id from auth.users where id = ${DEMO_USERS.admin.id}`;
  assert.equal(demo.length, 0, "no demo admin seeded into the production database");
});

dbTest("outside development the gateway runs but prints no token", async () => {
  const gateway = await startGatewayProcess({ env: { APP_ENV: "test" }, startTimeoutMs: 120_000 });
  try {
    const health = await fetch(`${gateway.origin}/functions/v1/health`);
    await health.body?.cancel();
    assert.equal(health.status, 200);
    const printed = [...gateway.stdout.lines, ...gateway.stderr.lines].join("\n");
    assert.doesNotMatch(printed, JWT);
    assert.match(printed, /printed only with APP_ENV=development/);
  } finally {
    await gateway.stop();
  }
});
