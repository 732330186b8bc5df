/**
 * End to end, the way the web frontend uses the API: the local gateway runs
 * as a subprocess (`functions/serve.ts`, what `deno task dev` starts) on its
 * own fresh database, which it migrates and seeds itself; the seed's demo
 * users play admin, buyer and door scanner, and the scenario creates its own
 * event through the admin API. The same journey runs twice: through
 * supabase-js `functions.invoke`, and through plain fetch with the CORS
 * preflight a browser sends.
 */
import assert from "node:assert/strict";
import { dbTest } from "../support/harness.ts";
import { startGatewayProcess } from "../support/gateway_process.ts";
import { hs256Token } from "../support/tokens.ts";
import { DEMO_USERS } from "../../functions/_dev/demo.ts";
import type { AppRole } from "../../shared/auth.ts";
import {
  type ApiClient,
  browserFetchClient,
  type FrontendContext,
  supabaseJsClient,
} from "./clients.ts";
import { buyAndCheckIn, type Cast } from "./scenario.ts";
import { callTheOtherEndpoints } from "./more_endpoints.ts";

const APP_ORIGIN = "http://localhost:5173";
const MAIL_MSG = "email (logging transport, not sent)";

async function castFor(secret: string): Promise<Cast> {
  const token = (who: keyof typeof DEMO_USERS, roles: AppRole[]) =>
    hs256Token({ sub: DEMO_USERS[who].id, email: DEMO_USERS[who].email, roles }, secret);
  return {
    visitor: { label: "visitor" },
    admin: { label: "admin", token: await token("admin", ["user", "admin"]) },
    buyer: { label: "buyer", ...DEMO_USERS.user, token: await token("user", ["user"]) },
    scanner: {
      label: "scanner",
      ...DEMO_USERS.scanner,
      token: await token("scanner", ["user", "scanner"]),
    },
  };
}

/** t.step that stops the caller when the step failed: later steps need what it made. */
const stepper =
  (t: Deno.TestContext) => async (name: string, fn: (s: Deno.TestContext) => Promise<void>) => {
    if (!(await t.step(name, fn))) throw new Error(`step failed: ${name}`);
  };

dbTest("a buyer's journey through supabase-js and through fetch with CORS preflight", async (t) => {
  // This run's own JWT secret: the tokens below only work if the subprocess really uses it.
  const secret = `e2e-${crypto.randomUUID()}-${crypto.randomUUID()}`;
  const gateway = await startGatewayProcess({
    env: { SUPABASE_JWT_SECRET: secret, CORS_ORIGINS: `${APP_ORIGIN},https://admin.crodify.test` },
    startTimeoutMs: 45_000,
  });
  try {
    // The key the gateway prints for createClient, as a developer would copy it.
    const keyLine = await gateway.stdout.waitFor(
      (l) => l.startsWith("Anon key"),
      5_000,
      "anon key",
    );
    const context: FrontendContext = {
      gateway: gateway.origin,
      appOrigin: APP_ORIGIN,
      anonKey: keyLine.split(": ").pop()!,
    };
    const cast = await castFor(secret);
    const journey = (client: ApiClient, step: ReturnType<typeof stepper>) =>
      buyAndCheckIn({
        client,
        cast,
        step,
        pay: async (order) => {
          // checkout_url is a gateway page; its form posts here and goes through the real webhook.
          const functionsBase = `${gateway.origin}/functions/v1`;
          assert.equal(order.checkout_url, `${functionsBase}/purchases/simulate/${order.order_id}`);
          const path = order.checkout_url.slice(`${functionsBase}/`.length);
          const paid = await client.call(cast.buyer, "POST", path, {
            body: { status: "approved" },
          });
          assert.equal(paid.status, 200, `simulated payment: ${JSON.stringify(paid.body)}`);
        },
        waitForMail: (match, timeoutMs) =>
          gateway.waitForRecord((r) => r.msg === MAIL_MSG && match(r), timeoutMs),
      });

    const viaSupabase = supabaseJsClient(context);
    await stepper(t)("through supabase-js", async (s) => {
      const bought = await journey(viaSupabase, stepper(s));
      await callTheOtherEndpoints(viaSupabase, cast, bought, stepper(s));
    });
    assert.equal(viaSupabase.counts.corsChecked, viaSupabase.counts.requests);
    assert.equal(viaSupabase.counts.preflights, 0);

    const viaFetch = browserFetchClient(context);
    await stepper(t)("through fetch with CORS preflight", async (s) => {
      await journey(viaFetch, stepper(s));
    });
    assert.equal(viaFetch.counts.corsChecked, viaFetch.counts.requests);
    // Every call sends apikey and authorization, so none is a "simple" request.
    assert.equal(viaFetch.counts.preflights, viaFetch.counts.requests);

    await t.step("a page on another origin gets no CORS grant", async () => {
      const response = await fetch(`${gateway.origin}/functions/v1/events`, {
        method: "OPTIONS",
        headers: {
          origin: "https://evil.example",
          "access-control-request-method": "GET",
          "access-control-request-headers": "apikey, authorization",
        },
      });
      await response.body?.cancel();
      assert.equal(response.headers.get("access-control-allow-origin"), null);
    });
  } catch (error) {
    console.error(`gateway stderr (last lines):\n${gateway.stderr.lines.slice(-30).join("\n")}`);
    throw error;
  } finally {
    await gateway.stop();
  }
});
