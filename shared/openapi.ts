/**
 * Small builders for route definitions so every function documents its
 * request bodies, responses and error codes the same way, and the function's
 * OpenAPI 3.1 document, generated from its routes when first asked for.
 */
import type { OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { mergePath } from "hono/utils/url";
import { z } from "zod";
import { config } from "./config.ts";
import type { App } from "./app_env.ts";

export const ErrorSchema = z.object({
  error: z.object({
    code: z.string().meta({ example: "validation_failed" }),
    message: z.string(),
    details: z.unknown().optional(),
    request_id: z.string(),
  }),
}).meta({ id: "Error" });

/** A required JSON request body (required, so a missing body is a 400, not `{}`). */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true,
    description,
    content: { "application/json": { schema } },
  } as const;
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid input (`validation_failed`, `invalid_json`, or a domain rule)",
  401: "Missing or invalid access token (`unauthorized`)",
  403: "Signed in but not allowed (`forbidden`)",
  404: "Not found",
  409: "Conflicts with the current state",
  413: "Body too large (`payload_too_large`)",
  429: "Rate limited (`rate_limited`, see Retry-After)",
  502: "An outside provider failed",
  503: "Busy or a dependency is down",
};

/** Error responses for the given statuses, each with its codes in the description. */
export function errorResponses(...statuses: Array<keyof typeof ERROR_DESCRIPTIONS | number>) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      jsonResponse(ErrorSchema, ERROR_DESCRIPTIONS[status] ?? "Error"),
    ]),
  );
}

export const bearerAuth = [{ bearerAuth: [] }];

export const UuidParam = z.uuid().meta({ example: "6f1c1f1e-8a8e-4c2b-9a57-0d0e6c1f2a10" });

/** What `security: bearerAuth` refers to: a Supabase Auth access token. */
export const BEARER_AUTH_SCHEME = {
  type: "http",
  scheme: "bearer",
  bearerFormat: "JWT",
  description: "A Supabase Auth access token (`Authorization: Bearer <jwt>`)",
} as const;

/** Where each function serves its own document, under its base path. */
export const OPENAPI_PATH = "/openapi.json";

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31["generateDocument"]>;

/**
 * Serves the function's OpenAPI 3.1 document at `/<name>/openapi.json`. A
 * plain `get`, so the document does not list itself; called before the
 * function's routes, so it wins over a `/{id}` route.
 */
export function serveOpenApiDocument(app: App, name: string): void {
  app.get(OPENAPI_PATH, async (c) => c.json(await openApiDocument(app, name)));
}

const generated = new WeakMap<App, { routes: number; document: Promise<OpenApiDocument> }>();

/** The function's document, generated from its routes' zod schemas once (per set of routes). */
export function openApiDocument(app: App, name: string): Promise<OpenApiDocument> {
  const routes = app.documentedRoutes.length;
  const cached = generated.get(app);
  if (cached?.routes === routes) return cached.document;
  const document = generateDocument(app, name);
  generated.set(app, { routes, document });
  document.catch(() => generated.delete(app));
  return document;
}

/**
 * What OpenAPIHono's getOpenAPI31Document did. zod-to-openapi loads here, on
 * the first request for a document, not at boot (with a second copy of zod).
 */
async function generateDocument(app: App, name: string): Promise<OpenApiDocument> {
  const { OpenAPIRegistry, OpenApiGeneratorV31 } = await import("@asteasolutions/zod-to-openapi");
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearerAuth", BEARER_AUTH_SCHEME);
  for (const route of app.documentedRoutes) registry.registerPath(route);
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: { title: `Crodify ${name}`, version: config().APP_VERSION },
  });
  const paths = Object.fromEntries(
    Object.entries(document.paths ?? {}).map(([path, item]) => [mergePath(`/${name}`, path), item]),
  );
  return { ...document, paths, tags: tagsOf(paths) };
}

function tagsOf(paths: NonNullable<OpenApiDocument["paths"]>): Array<{ name: string }> {
  const names = new Set<string>();
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(item)) {
      const tags = (operation as { tags?: unknown }).tags;
      if (Array.isArray(tags)) tags.forEach((tag) => names.add(String(tag)));
    }
  }
  return [...names].map((name) => ({ name }));
}
