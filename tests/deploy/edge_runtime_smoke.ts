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
import { startEdgeFunctions } from "./edge_functions.ts";
import { runJourney } from "./journey.ts";
import { productionStack } from "./stack.ts";

const ROOT = new URL("../../", import.meta.url);

async function edgeDeno(): Promise<string> {
  const configured = Deno.env.get("EDGE_DENO");
  if (!configured) {
    throw new Error("set EDGE_DENO to the Edge Runtime's Deno binary (.ci/run does)");
  }
  // npm's deno package links bin/deno to a node wrapper that does not pass SIGTERM on.
  const real = await Deno.realPath(configured);
  const deno = real.endsWith("/bin.cjs") ? real.replace(/bin\.cjs$/, "deno") : real;
  const wanted = (await Deno.readTextFile(new URL(".ci/edge_runtime.env", ROOT)))
    .match(/^EDGE_RUNTIME_DENO=(\S+)$/m)![1];
  const output = await new Deno.Command(deno, { args: ["--version"] }).output();
  const version = new TextDecoder().decode(output.stdout).split(/\s+/)[1];
  assert.equal(
    version,
    wanted,
    `EDGE_DENO is Deno ${version}, .ci/edge_runtime.env says ${wanted}`,
  );
  return deno;
}

Deno.test({
  name: "every function on the Edge Runtime's Deno: boots, then the buyer's journey end to end",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const deno = await edgeDeno();
    const stack = await productionStack();
    try {
      await stack.migrate();
      const edge = await startEdgeFunctions(deno, stack.env);
      try {
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
      } catch (error) {
        for (const [name, process] of edge.processes) {
          console.error(`${name} stderr:\n${process.stderr.lines.slice(-15).join("\n")}`);
        }
        throw error;
      } finally {
        await edge.stop();
      }
    } finally {
      await stack.close();
    }
  },
});
