/**
 * Routes `/functions/v1/<name>/<rest>` to the function `<name>` with the
 * pathname `/<name>/<rest>`, exactly as Supabase's edge runtime does. Shared
 * by the production server (functions/server.ts) and the dev gateway, which
 * adds the API documentation on top.
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

export const FUNCTIONS_PREFIX = "/functions/v1";

export interface FunctionsRouter {
  router: Hono;
  /** The function apps by name, built once. */
  apps: Map<string, App>;
}

/** A router for `functions`; callers may add routes before its first request. */
export function createFunctionsRouter(functions: Record<string, () => App>): FunctionsRouter {
  const apps = new Map(Object.entries(functions).map(([name, create]) => [name, create()]));
  const router = new Hono();
  router.use("*", async (c, next) => {
    assignRequestId(c);
    await next();
  });
  router.use("*", safeResponseHeaders());
  // Before forwarding: copying a TRACE request into a new Request throws.
  router.use("*", refuseUnknownMethods());
  // Preflight for paths no function answers still gets Supabase's CORS headers.
  router.use(`${FUNCTIONS_PREFIX}/*`, corsMiddleware());
  router.all(`${FUNCTIONS_PREFIX}/:name/*`, (c) => forward(c, c.req.param("name")));
  router.all(`${FUNCTIONS_PREFIX}/:name`, (c) => forward(c, c.req.param("name")));
  router.notFound((c) =>
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

  return { router, apps };
}
