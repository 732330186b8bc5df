/**
 * Routes `/functions/v1/<name>/<rest>` to the function `<name>` with the
 * pathname `/<name>/<rest>`, exactly as Supabase's edge runtime does; also
 * serves the merged API documentation (/openapi.json, /docs, /redoc).
 */
import {
  assignRequestId,
  corsMiddleware,
  errorResponse,
  refuseUnknownMethods,
  safeResponseHeaders,
} from "../shared/http.ts";
import type { App } from "../shared/http.ts";
import { DomainError } from "../shared/errors.ts";
import { type Context, Hono } from "hono";
import { mountApiDocs } from "./_dev/docs.ts";

export const FUNCTIONS_PREFIX = "/functions/v1";

export function createGateway(functions: Record<string, () => App>): Hono {
  const apps = new Map(Object.entries(functions).map(([name, create]) => [name, create()]));
  const gateway = new Hono();
  gateway.use("*", async (c, next) => {
    assignRequestId(c);
    await next();
  });
  gateway.use("*", safeResponseHeaders());
  // Before forwarding: copying a TRACE request into a new Request throws.
  gateway.use("*", refuseUnknownMethods());
  // Preflight for paths no function answers still gets Supabase's CORS headers.
  gateway.use(`${FUNCTIONS_PREFIX}/*`, corsMiddleware());
  gateway.all(`${FUNCTIONS_PREFIX}/:name/*`, (c) => forward(c, c.req.param("name")));
  gateway.all(`${FUNCTIONS_PREFIX}/:name`, (c) => forward(c, c.req.param("name")));
  mountApiDocs(gateway, apps, FUNCTIONS_PREFIX);
  gateway.notFound((c) =>
    errorResponse(c, new DomainError("not_found", "No such function or route"))
  );

  function forward(c: Context, name: string): Response | Promise<Response> {
    const request = c.req.raw;
    const app = apps.get(name);
    if (!app) return errorResponse(c, new DomainError("not_found", `No function '${name}'`));
    const url = new URL(request.url);
    url.pathname = url.pathname.slice(FUNCTIONS_PREFIX.length);
    return app.fetch(new Request(url, request));
  }

  return gateway;
}
