/**
 * The documents cover every route of every function in the registry (whatever
 * it holds when this runs) and validate as OpenAPI 3.1.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { createRoute } from "../../shared/routing.ts";
import { createGateway, FUNCTIONS_PREFIX } from "../../functions/gateway.ts";
import { FUNCTIONS } from "../../functions/registry.ts";
import { createApp } from "../../shared/http.ts";
import { jsonResponse, type OpenApiDocument } from "../../shared/openapi.ts";
import { dbTest } from "../support/harness.ts";
import { documentedOperations, openApi31Errors, registeredRoutes } from "../support/openapi.ts";

async function getJson(
  fetcher: { request: (path: string) => Response | Promise<Response> },
  path: string,
) {
  const response = await fetcher.request(path);
  assert.equal(response.status, 200, `${path} answered ${response.status}`);
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  return await response.json() as OpenApiDocument;
}

dbTest(
  "each function serves its own valid OpenAPI 3.1 document listing every route it registered",
  async () => {
    for (const [name, create] of Object.entries(FUNCTIONS)) {
      const app = create();
      const document = await getJson(app, `/${name}/openapi.json`);
      assert.equal(document.openapi, "3.1.0");
      assert.deepEqual(await openApi31Errors(document), [], `${name}'s document is not valid`);
      assert.deepEqual(
        documentedOperations(document),
        registeredRoutes(app, name),
        `${name}: registered routes and documented operations differ`,
      );
      assert.deepEqual(document.components?.securitySchemes?.bearerAuth, {
        type: "http",
        scheme: "bearer",
        bearerFormat: "JWT",
        description: "A Supabase Auth access token (`Authorization: Bearer <jwt>`)",
      });
    }
  },
);

dbTest(
  "the gateway's /openapi.json merges every function's routes under /functions/v1 and validates",
  async () => {
    const gateway = createGateway(FUNCTIONS);
    const merged = await getJson(gateway, "/openapi.json");
    assert.deepEqual(await openApi31Errors(merged), [], "the merged document is not valid");
    const expected: string[] = [];
    for (const [name, create] of Object.entries(FUNCTIONS)) {
      const app = create();
      for (const route of registeredRoutes(app, name)) {
        const [method, path] = route.split(" ");
        expected.push(`${method} ${FUNCTIONS_PREFIX}${path}`);
      }
      // Served through the gateway too, the way Supabase routes it.
      const own = await getJson(gateway, `${FUNCTIONS_PREFIX}/${name}/openapi.json`);
      assert.equal(own.info.title, `Crodify ${name}`);
    }
    assert.deepEqual(documentedOperations(merged), expected.sort());
    assert.equal(merged.servers?.[0]?.url, "http://localhost");
    assert.ok(merged.components?.securitySchemes?.bearerAuth, "bearerAuth in the merged document");
    const tagNames = merged.tags?.map((tag) => tag.name) ?? [];
    assert.equal(new Set(tagNames).size, tagNames.length, "tags merged without duplicates");
  },
);

dbTest(
  "every documented operation has a summary, a tag, and 401 when it needs a token",
  async () => {
    const merged = await getJson(createGateway(FUNCTIONS), "/openapi.json");
    const tagNames = new Set(merged.tags?.map((tag) => tag.name));
    for (const [path, item] of Object.entries(merged.paths ?? {})) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(operation.summary, `${where} has no summary`);
        assert.ok(operation.tags?.length, `${where} has no tag`);
        for (const tag of operation.tags) {
          assert.ok(
            tagNames.has(tag),
            `${where}: tag ${tag} listed`,
          );
        }
        if (operation.security?.some((s: Record<string, unknown>) => "bearerAuth" in s)) {
          assert.ok(operation.responses?.["401"], `${where} needs a token but documents no 401`);
        }
      }
    }
  },
);

dbTest("the coverage check catches a route registered without createRoute", async () => {
  const app = createApp("probe");
  app.openapi(
    createRoute({
      method: "get",
      path: "/items/{item_id}",
      tags: ["probe"],
      summary: "Documented",
      request: { params: z.object({ item_id: z.string() }) },
      responses: { 200: jsonResponse(z.object({ ok: z.boolean() }), "ok") },
    }),
    (c) => c.json({ ok: true }, 200),
  );
  app.post("/items/:item_id/secret", (c) => c.json({}));
  const document = await getJson(app, "/probe/openapi.json");
  assert.deepEqual(documentedOperations(document), ["GET /probe/items/{item_id}"]);
  assert.deepEqual(registeredRoutes(app, "probe"), [
    "GET /probe/items/{item_id}",
    "POST /probe/items/{item_id}/secret",
  ]);
});

dbTest("the validator rejects what is not OpenAPI 3.1", async () => {
  const merged = await getJson(createGateway(FUNCTIONS), "/openapi.json");
  assert.notDeepEqual(await openApi31Errors({ ...merged, info: undefined }), []);
  assert.notDeepEqual(await openApi31Errors({ ...merged, openapi: "3.0.3" }), []);
  const dangling = structuredClone(merged);
  dangling.paths!["/dangling"] = {
    get: { responses: { 200: { $ref: "#/components/responses/Nowhere" } } },
  };
  assert.notDeepEqual(await openApi31Errors(dangling), []);
});
