/**
 * The gateway under load while its PostgreSQL (a cluster of this test's own)
 * restarts and dies: see scenario.ts for what every scenario asserts.
 */
import { startFaultEnv } from "./fault_env.ts";
import { runScenario } from "./scenario.ts";
import { REAL_SERVICES } from "../support/services.ts";

Deno.test({
  // A PostgreSQL cluster of its own and a real Redis: skipped in the embedded mode (README).
  ignore: !REAL_SERVICES,
  name: "database faults under load: restart -m fast, stop -m immediate",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const env = await startFaultEnv();
    try {
      await t.step("pg_ctl restart -m fast, twice", () =>
        runScenario(env, {
          name: "postgres restart -m fast ×2",
          inject: async () => {
            await env.cluster.restartFast();
            await new Promise((resolve) => setTimeout(resolve, 1_500));
            await env.cluster.restartFast();
          },
          clear: () => Promise.resolve(),
          faultMs: 1_000,
        }));
      await t.step("pg_ctl stop -m immediate, down 4 s, then start", () =>
        runScenario(env, {
          name: "postgres stop -m immediate, 4 s down",
          inject: () => env.cluster.stopImmediate(),
          clear: () => env.cluster.start(),
        }));
    } finally {
      await env.close();
    }
  },
});
