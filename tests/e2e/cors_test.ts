/**
 * The CORS allow-list keeps up with the client: every header and method the
 * pinned supabase-js may send (its own `@supabase/supabase-js/cors` list),
 * plus our Idempotency-Key, passes the preflight of every function.
 */
import assert from "node:assert/strict";
import { corsHeaders } from "@supabase/supabase-js/cors";
import { createGateway } from "../../functions/gateway.ts";
import { FUNCTIONS } from "../../functions/registry.ts";
import { dbTest } from "../support/harness.ts";

const split = (list: string | null) =>
  (list ?? "").toLowerCase().split(",").map((s) => s.trim()).filter(Boolean);

dbTest(
  "every header and method supabase-js may send passes every function's preflight",
  async () => {
    const gateway = createGateway(FUNCTIONS);
    const headers = [...split(corsHeaders["Access-Control-Allow-Headers"]), "idempotency-key"];
    const methods = split(corsHeaders["Access-Control-Allow-Methods"]).filter((m) =>
      m !== "options"
    );
    assert.ok(headers.includes("traceparent"), "the SDK's list as this test expects it");
    for (const name of Object.keys(FUNCTIONS)) {
      for (const method of methods) {
        const response = await gateway.request(`/functions/v1/${name}/any/path`, {
          method: "OPTIONS",
          headers: {
            origin: "http://localhost:5173",
            "access-control-request-method": method.toUpperCase(),
            "access-control-request-headers": headers.join(", "),
          },
        });
        const what = `${method} ${name}`;
        assert.equal(response.status, 204, what);
        assert.ok(
          split(response.headers.get("access-control-allow-methods")).includes(method),
          what,
        );
        const allowed = split(response.headers.get("access-control-allow-headers"));
        assert.deepEqual(headers.filter((h) => !allowed.includes(h)), [], what);
      }
    }
  },
);
