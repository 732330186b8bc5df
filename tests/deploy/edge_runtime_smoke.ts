/**
 * The functions on the Deno that Supabase's Edge Runtime vendors
 * (.ci/edge_runtime.env), each in its own process as there, on a real
 * database and Redis in production mode: every function boots, then the
 * buyer's journey (a public read, an admin's writes, a purchase, Mercado
 * Pago's webhook, the QR, a validation at the door, the mail). Run by
 * `.ci/run` with EDGE_DENO set: `deno task test:deploy`.
 */
import assert from "node:assert/strict";
import { FUNCTIONS } from "../../functions/registry.ts";
import { edgeDeno, withEdgeFunctions } from "./edge_functions.ts";
import { runJourney } from "./journey.ts";
import { productionStack } from "./stack.ts";

Deno.test({
  name: "every function on the Edge Runtime's Deno: boots, then the buyer's journey end to end",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const deno = await edgeDeno();
    const stack = await productionStack();
    try {
      await stack.migrate();
      await withEdgeFunctions(deno, stack.env, async (edge) => {
        await t.step("each function answers its own health or preflight", async () => {
          for (const name of Object.keys(FUNCTIONS)) {
            const response = await fetch(`${edge.origin}/functions/v1/${name}`, {
              method: "OPTIONS",
              headers: {
                origin: "http://localhost:5173",
                "access-control-request-method": "POST",
              },
            });
            await response.body?.cancel();
            assert.ok(response.status < 300, `${name}: preflight ${response.status}`);
          }
        });
        await runJourney(t, stack, edge.origin);
      });
    } finally {
      await stack.close();
    }
  },
});
