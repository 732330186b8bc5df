/**
 * Routes `/functions/v1/<name>/<rest>` to the function `<name>` with the
 * pathname `/<name>/<rest>`, exactly as Supabase's edge runtime does; also
 * serves the merged API documentation (/openapi.json, /docs, /redoc).
 */
import { corsMiddleware } from "../shared/http.ts";
import type { App } from "../shared/http.ts";
import { Hono } from "hono";
import { mountApiDocs } from "./_dev/docs.ts";

export const FUNCTIONS_PREFIX = "/functions/v1";

export function createGateway(functions: Record<string, () => App>): Hono {
  const apps = new Map(Object.entries(functions).map(([name, create]) => [name, create()]));
  const gateway = new Hono();
  // Preflight for paths no function answers still gets Supabase's CORS headers.
  gateway.use(`${FUNCTIONS_PREFIX}/*`, corsMiddleware());
  gateway.all(`${FUNCTIONS_PREFIX}/:name/*`, (c) => forward(c.req.raw, c.req.param("name")));
  gateway.all(`${FUNCTIONS_PREFIX}/:name`, (c) => forward(c.req.raw, c.req.param("name")));
  mountApiDocs(gateway, apps, FUNCTIONS_PREFIX);
  gateway.notFound((c) =>
    c.json({ error: { code: "not_found", message: "No such function or route" } }, 404)
  );

  function forward(request: Request, name: string): Response | Promise<Response> {
    const app = apps.get(name);
    if (!app) {
      return Response.json({ error: { code: "not_found", message: `No function '${name}'` } }, {
        status: 404,
      });
    }
    const url = new URL(request.url);
    url.pathname = url.pathname.slice(FUNCTIONS_PREFIX.length);
    return app.fetch(new Request(url, request));
  }

  return gateway;
}
