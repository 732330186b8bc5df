import assert from "node:assert/strict";
import { createGateway } from "../../functions/gateway.ts";
import { FUNCTIONS } from "../../functions/registry.ts";
import { dbTest } from "../support/harness.ts";

dbTest(
  "the gateway routes /functions/v1/<name>/<rest> to the function as /<name>/<rest>",
  async () => {
    const gateway = createGateway(FUNCTIONS);
    const response = await gateway.request("/functions/v1/health");
    assert.equal(response.status, 200);
    assert.equal((await response.json()).status, "ok");
    const unknown = await gateway.request("/functions/v1/nope/x");
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error.code, "not_found");
  },
);

dbTest("CORS preflight through the gateway answers with Supabase's headers", async () => {
  const gateway = createGateway(FUNCTIONS);
  const response = await gateway.request("/functions/v1/health/ready", {
    method: "OPTIONS",
    headers: {
      origin: "http://localhost:5173",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, x-client-info, apikey, content-type",
    },
  });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get("access-control-allow-origin"), "*");
  const allowed = response.headers.get("access-control-allow-headers")!.split(",").map((h) =>
    h.trim()
  );
  for (const header of ["authorization", "x-client-info", "apikey", "content-type"]) {
    assert.ok(allowed.includes(header), `missing ${header} in ${allowed}`);
  }
  assert.match(response.headers.get("access-control-allow-methods")!, /POST/);
});
