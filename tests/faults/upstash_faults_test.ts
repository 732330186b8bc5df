/**
 * The gateway under load while Upstash refuses connections, hangs, and
 * answers slowly (a TCP fault proxy in front of the Upstash proxy). Redis is
 * never the authority: sales and scans go on, the breaker keeps waits short,
 * and readiness stays 200 `degraded` naming Redis.
 */
import assert from "node:assert/strict";
import { type FaultEnv, startFaultEnv } from "./fault_env.ts";
import { call } from "./load.ts";
import { runScenario } from "./scenario.ts";
import type { FaultMode } from "../support/fault_proxy.ts";
import { REAL_SERVICES } from "../support/services.ts";

async function readinessDegraded(env: FaultEnv) {
  // The breaker needs a few failed calls before it opens; the probe waits for them.
  const until = performance.now() + 5_000;
  let last: Awaited<ReturnType<typeof call>> | undefined;
  while (performance.now() < until) {
    last = await call(env, "ready", "GET", "/health/ready");
    if (last.status === 200 && last.body?.status === "degraded") break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.equal(last?.status, 200, JSON.stringify(last?.body));
  assert.equal(last?.body?.status, "degraded", JSON.stringify(last?.body));
  assert.deepEqual(last?.body?.degraded, ["redis"]);
}

const faults: Array<[string, FaultMode]> = [
  ["refuses connections", { kind: "refuse" }],
  ["accepts connections and never answers", { kind: "hang" }],
  ["answers every call 1.5 s late (past the 1 s timeout)", { kind: "slow", ms: 1_500 }],
];

Deno.test({
  // A PostgreSQL cluster of its own and a real Redis: skipped in the embedded mode (README).
  ignore: !REAL_SERVICES,
  name: "Upstash faults under load: refuse, hang, slow",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const env = await startFaultEnv();
    try {
      for (const [what, mode] of faults) {
        await t.step(`Upstash ${what}`, () =>
          runScenario(env, {
            name: `upstash ${mode.kind}`,
            inject: () => Promise.resolve(env.upstash.set(mode)),
            clear: () => Promise.resolve(env.upstash.set({ kind: "pass" })),
            duringFault: () => readinessDegraded(env),
            faultMs: 5_000,
          }));
      }
    } finally {
      await env.close();
    }
  },
});
