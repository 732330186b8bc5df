/**
 * Compares what a function's Hono app really routes with what its OpenAPI
 * document lists, and validates documents with an established OpenAPI
 * validator (@seriousme/openapi-schema-validator, which also resolves $refs).
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import type { App } from "../../shared/http.ts";
import { OPENAPI_PATH, type OpenApiDocument } from "../../shared/openapi.ts";

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** Hono's `/events/:id` (or `:id{regex}`, `:id?`) as OpenAPI's `/events/{id}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:(\w+)(\{[^}]*\})?\??/g, "{$1}");
}

/**
 * "METHOD /path" for every route the app registered, without the middleware
 * `app.use("*")` adds (method ALL on a wildcard) and without the document's own
 * route. A route with route middleware appears once per handler; counted once.
 */
export function registeredRoutes(app: App, name: string): string[] {
  const routes = new Set<string>();
  for (const { method, path } of app.routes) {
    if (method === "ALL" && path.endsWith("*")) continue;
    if (path === `/${name}${OPENAPI_PATH}`) continue;
    routes.add(`${method.toUpperCase()} ${toOpenApiPath(path)}`);
  }
  return [...routes].sort();
}

/** "METHOD /path" for every operation in the document. */
export function documentedOperations(document: OpenApiDocument): string[] {
  const operations: string[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of Object.keys(item)) {
      if (HTTP_METHODS.includes(method)) operations.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return operations.sort();
}

/** Validation errors (schema and unresolved $refs) of an OpenAPI 3.1 document; [] when valid. */
export async function openApi31Errors(document: unknown): Promise<unknown[]> {
  const validator = new Validator();
  const result = await validator.validate(document as Record<string, unknown>);
  if (!result.valid) return Array.isArray(result.errors) ? result.errors : [result.errors];
  if (validator.version !== "3.1") return [`expected OpenAPI 3.1, got ${validator.version}`];
  return [];
}
