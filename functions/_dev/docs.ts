/**
 * API documentation on the local gateway: the merged OpenAPI 3.1 document at
 * `/openapi.json`, Swagger UI at `/docs` and ReDoc at `/redoc` (the seed's
 * paths), with their assets from npm served under `/docs/assets/`.
 */
import type { Hono } from "hono";
import type { App } from "../../shared/http.ts";
import { config } from "../../shared/config.ts";
import { OPENAPI_PATH, type OpenApiDocument } from "../../shared/openapi.ts";
import { mergeOpenApiDocuments } from "../../shared/openapi_merge.ts";
import { assetResponse } from "./doc_assets.ts";

const ASSETS_PATH = "/docs/assets";

const DESCRIPTION = [
  "Crodify's ticketing API: Supabase Edge Functions, one per domain.",
  "Call them with `supabase.functions.invoke(<name>, …)` or at `/functions/v1/<name>/…`",
  "with the project's `apikey` header, as supabase-js does. Operations secured with",
  "`bearerAuth` (a lock in Swagger UI) need a Supabase Auth access token",
  "(`Authorization: Bearer <jwt>`). Every error has one shape:",
  '`{ "error": { "code", "message", "details"?, "request_id" } }`; `code` is stable.',
].join(" ");

/** Adds /openapi.json, /docs, /redoc and their assets to the gateway. */
export function mountApiDocs(gateway: Hono, apps: Map<string, App>, prefix: string): void {
  gateway.get("/openapi.json", async (c) => {
    const origin = new URL(c.req.url).origin;
    return c.json(
      mergeOpenApiDocuments(await functionDocuments(apps), mergeOptions(origin, prefix)),
    );
  });
  gateway.get("/docs", (c) => c.html(swaggerPage()));
  gateway.get("/redoc", (c) => c.html(redocPage()));
  gateway.get(`${ASSETS_PATH}/:file`, async (c) => {
    return (await assetResponse(c.req.param("file"))) ?? c.notFound();
  });
}

/** Each function's own document, fetched from its `/<name>/openapi.json` as a client would. */
export async function functionDocuments(
  apps: Map<string, App>,
): Promise<Record<string, OpenApiDocument>> {
  const documents: Record<string, OpenApiDocument> = {};
  for (const [name, app] of apps) {
    const response = await app.request(`/${name}${OPENAPI_PATH}`);
    if (!response.ok) {
      throw new Error(`function '${name}' answered ${response.status} for its OpenAPI document`);
    }
    documents[name] = await response.json();
  }
  return documents;
}

function mergeOptions(origin: string, prefix: string) {
  return {
    prefix,
    info: { title: "Crodify API", version: config().APP_VERSION, description: DESCRIPTION },
    servers: [
      { url: origin, description: "This gateway" },
      {
        url: "https://{project_ref}.supabase.co",
        description: "A Supabase project",
        variables: { project_ref: { default: "your-project-ref" } },
      },
    ],
  };
}

function page(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>${head}</head>
<body style="margin:0">${body}</body>
</html>`;
}

function swaggerPage(): string {
  return page(
    "Crodify API · Swagger UI",
    `<link rel="stylesheet" href="${ASSETS_PATH}/swagger-ui.css">`,
    `<div id="swagger-ui"></div>
<script src="${ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script>
  // validatorUrl: null keeps Swagger UI from sending the document to validator.swagger.io.
  window.ui = SwaggerUIBundle({
    url: "/openapi.json", dom_id: "#swagger-ui", validatorUrl: null,
    deepLinking: true, persistAuthorization: true, displayRequestDuration: true,
  });
</script>`,
  );
}

function redocPage(): string {
  return page(
    "Crodify API · ReDoc",
    "",
    `<redoc spec-url="/openapi.json"></redoc>
<script src="${ASSETS_PATH}/redoc.standalone.js"></script>`,
  );
}
