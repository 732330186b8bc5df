/**
 * The gateway under load while the fake Mercado Pago and the fake SendGrid
 * hang, answer 500, and drop connections (the real SDK and sender talk to
 * them through a TCP fault proxy). Checkout answers 502 with the hold
 * released or 503 at the deadline, never a 500 and never a longer wait; mail
 * waits in the outbox; the test-email call is bounded too.
 */
import assert from "node:assert/strict";
import { DEADLINE_MS, DEADLINE_SLACK_MS, type FaultEnv, startFaultEnv } from "./fault_env.ts";
import { call } from "./load.ts";
import { runScenario } from "./scenario.ts";
import { REAL_SERVICES } from "../support/services.ts";

/** An admin's test mail during a SendGrid fault: answered, in time, never 500. */
async function testEmailBounded(env: FaultEnv) {
  const answer = await call(env, "test-email", "POST", "/notifications/test-email", {
    token: env.fixture.adminToken,
    body: { to: "ops@faults.local" },
  });
  assert.ok([200, 201, 202, 502, 503].includes(answer.status), JSON.stringify(answer));
  assert.ok(answer.ms < DEADLINE_MS + DEADLINE_SLACK_MS, `test-email took ${answer.ms} ms`);
}

Deno.test({
  // A PostgreSQL cluster of its own and a real Redis: skipped in the embedded mode (README).
  ignore: !REAL_SERVICES,
  name: "provider faults under load: Mercado Pago and SendGrid hang, 500, drop",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const env = await startFaultEnv();
    const pass = () => Promise.resolve(env.mercadopago.set({ kind: "pass" }));
    try {
      await t.step("Mercado Pago hangs", () =>
        runScenario(env, {
          name: "mercadopago hang",
          inject: () => Promise.resolve(env.mercadopago.set({ kind: "hang" })),
          clear: pass,
          faultMs: 9_000,
        }));
      await t.step("Mercado Pago answers 500", () =>
        runScenario(env, {
          name: "mercadopago 500",
          inject: () => {
            env.fakeMp.fail("preferences", 500);
            env.fakeMp.fail("payments", 500);
            return Promise.resolve();
          },
          clear: () => Promise.resolve(env.fakeMp.reset()),
        }));
      await t.step("Mercado Pago drops connections", () =>
        runScenario(env, {
          name: "mercadopago drop",
          inject: () => Promise.resolve(env.mercadopago.set({ kind: "drop" })),
          clear: pass,
        }));
      for (const kind of ["hang", "500", "drop"] as const) {
        await t.step(`SendGrid ${kind}`, () =>
          runScenario(env, {
            name: `sendgrid ${kind}`,
            inject: () => {
              if (kind === "500") env.fakeSendgrid.setMode({ kind: "fail", status: 500 });
              else env.sendgrid.set({ kind });
              return Promise.resolve();
            },
            clear: () => {
              env.fakeSendgrid.setMode({ kind: "accept" });
              env.sendgrid.set({ kind: "pass" });
              return Promise.resolve();
            },
            duringFault: () => testEmailBounded(env),
          }));
      }
    } finally {
      await env.close();
    }
  },
});
