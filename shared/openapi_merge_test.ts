import assert from "node:assert/strict";
import type { OpenApiDocument } from "./openapi.ts";
import { canonicalJson, mergeOpenApiDocuments, OpenApiMergeError } from "./openapi_merge.ts";

const OPTIONS = {
  prefix: "/functions/v1",
  info: { title: "All", version: "1" },
  servers: [{ url: "http://127.0.0.1:54321" }],
};

const ERROR = { type: "object", properties: { code: { type: "string" } }, required: ["code"] };

function doc(name: string, extra: Partial<OpenApiDocument> = {}): OpenApiDocument {
  return {
    openapi: "3.1.0",
    info: { title: name, version: "1" },
    tags: [{ name }],
    paths: {
      [`/${name}`]: {
        get: {
          tags: [name],
          summary: `List ${name}`,
          responses: { 400: { $ref: "#/components/schemas/Error" } },
        },
      },
    },
    components: { schemas: { Error: ERROR }, parameters: {} },
    ...extra,
  } as OpenApiDocument;
}

Deno.test("merge prefixes paths, keeps one copy of shared components, and merges tags", () => {
  const merged = mergeOpenApiDocuments({ events: doc("events"), tickets: doc("tickets") }, OPTIONS);
  assert.deepEqual(Object.keys(merged.paths!), ["/functions/v1/events", "/functions/v1/tickets"]);
  assert.deepEqual(merged.components, { schemas: { Error: ERROR } });
  assert.deepEqual(merged.tags, [{ name: "events" }, { name: "tickets" }]);
  assert.deepEqual(merged.servers, OPTIONS.servers);
  assert.equal(merged.openapi, "3.1.0");
});

Deno.test("the same component with its keys in another order is not a clash", () => {
  const reordered = doc("tickets", {
    components: {
      schemas: { Error: { required: ["code"], properties: ERROR.properties, type: "object" } },
    },
  } as Partial<OpenApiDocument>);
  const merged = mergeOpenApiDocuments({ events: doc("events"), tickets: reordered }, OPTIONS);
  assert.equal(Object.keys(merged.components!.schemas!).length, 1);
});

Deno.test("a component name with different content in two functions fails loudly", () => {
  const other = doc("tickets", {
    components: {
      schemas: { Error: { type: "object", properties: { code: { type: "integer" } } } },
    },
  } as Partial<OpenApiDocument>);
  assert.throws(
    () => mergeOpenApiDocuments({ events: doc("events"), tickets: other }, OPTIONS),
    (error: unknown) =>
      error instanceof OpenApiMergeError &&
      /schemas\.Error differs between 'events' and 'tickets'/.test(error.message),
  );
});

Deno.test("an operationId used by two functions fails loudly", () => {
  const withId = (name: string) => {
    const document = doc(name);
    (document.paths![`/${name}`].get as { operationId?: string }).operationId = "list";
    return document;
  };
  assert.throws(
    () => mergeOpenApiDocuments({ events: withId("events"), tickets: withId("tickets") }, OPTIONS),
    /operationId 'list' is used by both 'events' and 'tickets'/,
  );
});

Deno.test("canonicalJson ignores key order but not array order", () => {
  assert.equal(
    canonicalJson({ a: 1, b: { c: 2, d: 3 } }),
    canonicalJson({ b: { d: 3, c: 2 }, a: 1 }),
  );
  assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
});
