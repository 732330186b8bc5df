/**
 * The dev gateway's router: every function under /functions/v1/<name> (as
 * functions/router.ts mounts them for the production server) plus the merged
 * API documentation (/openapi.json, /docs, /redoc), which stays out of every
 * deployed function's module graph.
 */
import type { Hono } from "hono";
import type { App } from "../shared/http.ts";
import { mountApiDocs } from "./_dev/docs.ts";
import { createFunctionsRouter, FUNCTIONS_PREFIX } from "./router.ts";

export { FUNCTIONS_PREFIX };

export function createGateway(functions: Record<string, () => App>): Hono {
  const { router, apps } = createFunctionsRouter(functions);
  mountApiDocs(router, apps, FUNCTIONS_PREFIX);
  return router;
}
