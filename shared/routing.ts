/**
 * Routes declared with `createRoute` (path, zod schemas, responses) on a plain
 * Hono app: `app.openapi(route, handler)` validates the route's params, query,
 * headers, cookies and body through hono/validator, so `c.req.valid(...)` is
 * typed and checked, and records the route for the OpenAPI document
 * (shared/openapi.ts), which is generated on request.
 *
 * This is what @hono/zod-openapi's OpenAPIHono does, without loading it at
 * boot: it loads @asteasolutions/zod-to-openapi, whose CommonJS build brings a
 * second copy of zod (≈ 50 ms of every cold start). Its types are still used.
 */
import { type Context, type Env, Hono, type HonoRequest, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { validator } from "hono/validator";
import type { RouteConfig, RouteConfigToEnv, RouteHandler } from "@hono/zod-openapi";
import { decodeUtf8, type Issue, nulIssues } from "./text_guard.ts";

export type { RouteConfig };

/** Where in the request a value comes from, as hono/validator names it. */
export type RequestTarget = "query" | "param" | "header" | "cookie" | "json" | "form";

export type { Issue };

/** Turns failed validation into the error the app answers with; never returns. */
export type OnInvalid = (issues: Issue[], target: RequestTarget) => never;

/** A route as the OpenAPI document describes it: its config without the middleware. */
export type DocumentedRoute = Omit<RouteConfig, "middleware" | "hide">;

export interface OpenApiApp<E extends Env> extends Hono<E> {
  /** Registers `route` with its middleware, its validators and `handler`, and documents it. */
  openapi<R extends RouteConfig>(
    route: R,
    handler: RouteHandler<R, RouteConfigToEnv<R> & E>,
  ): OpenApiApp<E>;
  /** The routes registered through `openapi` (less `hide`s), in order. */
  readonly documentedRoutes: readonly DocumentedRoute[];
}

/** The route config as given: types only, so its path and schemas stay literal. */
export function createRoute<P extends string, R extends Omit<RouteConfig, "path"> & { path: P }>(
  route: R,
): R {
  return route;
}

/** A Hono app under `basePath` whose `openapi` routes answer bad input through `onInvalid`. */
export function createOpenApiApp<E extends Env>(basePath: string, onInvalid: OnInvalid) {
  const documentedRoutes: DocumentedRoute[] = [];
  const app = new Hono<E>().basePath(basePath) as unknown as OpenApiApp<E>;
  return Object.assign(app, {
    documentedRoutes,
    openapi(config: RouteConfig, handler: MiddlewareHandler) {
      const { middleware, hide, ...route } = config;
      if (!hide) documentedRoutes.push(route);
      app.on(
        [route.method],
        [route.path.replaceAll(/\/{(.+?)}/g, "/:$1")],
        ...[middleware ?? []].flat() as MiddlewareHandler[],
        ...validatorsOf(route, onInvalid),
        handler,
      );
      return app;
    },
  }) as OpenApiApp<E>;
}

interface Schema {
  safeParseAsync(
    value: unknown,
  ): Promise<{ success: true; data: unknown } | { success: false; error: { issues: Issue[] } }>;
}

const isSchema = (value: unknown): value is Schema =>
  typeof (value as Schema | undefined)?.safeParseAsync === "function";

function validate(target: RequestTarget, schema: Schema, onInvalid: OnInvalid) {
  const headerNames = target === "header" ? headerNamesOf(schema) : undefined;
  return validator(target, async (value) => {
    const input = headerNames ? renameKeys(value as Record<string, unknown>, headerNames) : value;
    const hostile = nulIssues(input);
    if (hostile.length > 0) onInvalid(hostile, target);
    const result = await schema.safeParseAsync(input);
    if (!result.success) onInvalid(result.error.issues, target);
    return result.data;
  });
}

/** In @hono/zod-openapi's order: query, params, headers, cookies, then the body. */
function validatorsOf(route: DocumentedRoute, onInvalid: OnInvalid): MiddlewareHandler[] {
  const request = route.request ?? {};
  const parts: Array<[unknown, RequestTarget]> = [
    [request.query, "query"],
    [request.params, "param"],
    [request.headers, "header"],
    [request.cookies, "cookie"],
  ];
  const validators: MiddlewareHandler[] = parts.flatMap(([schema, target]) =>
    isSchema(schema) ? [validate(target, schema, onInvalid)] : []
  );
  return [...validators, ...bodyValidatorsOf(request.body, onInvalid)];
}

type Body = NonNullable<NonNullable<RouteConfig["request"]>["body"]>;

/**
 * A declared JSON or form body: a request in another media type is a 415; the
 * body is validated when required, or when it comes in its media type (else
 * it reads as `{}`).
 */
function bodyValidatorsOf(body: Body | undefined, onInvalid: OnInvalid): MiddlewareHandler[] {
  const content = body?.content ?? {};
  const mediaTypes = Object.keys(content);
  const validators = mediaTypes.flatMap((mediaType) => {
    const schema = (content[mediaType] as { schema?: unknown } | undefined)?.schema;
    const kind = isJsonType(mediaType) ? "json" : isFormType(mediaType) ? "form" : undefined;
    if (!kind || !isSchema(schema)) return [];
    const parsed = validate(kind, schema, onInvalid);
    const check: MiddlewareHandler = kind === "json"
      ? (c, next) => strictUtf8Text(c, () => parsed(c, next))
      : parsed;
    if (body?.required) return [check];
    const isKind = kind === "json" ? isJsonType : isFormType;
    return [
      async function optionalBody(c, next) {
        const contentType = c.req.header("content-type");
        if (contentType && isKind(contentType)) return await check(c, next);
        c.req.addValidatedData(kind, {});
        await next();
      } satisfies MiddlewareHandler,
    ];
  });
  return validators.length > 0 ? [mediaTypeGate(mediaTypes), ...validators] : [];
}

/**
 * A JSON body must be UTF-8 (RFC 8259): the platform's decoder would turn bad
 * bytes into U+FFFD and store them. Decoded strictly once; hono's json() then
 * parses the cached text.
 */
async function strictUtf8Text(c: Context, next: () => Promise<void | Response>) {
  const text = decodeUtf8(await c.req.arrayBuffer());
  if (text === undefined) throw new HTTPException(400, { message: "Malformed JSON: not UTF-8" });
  // hono caches body reads as promises (its type says otherwise); json() parses this text.
  (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
  return await next();
}

function mediaTypeGate(mediaTypes: string[]): MiddlewareHandler {
  return async function mediaTypeGate(c, next) {
    const contentType = c.req.header("content-type");
    const unsupported = contentType
      ? !mediaTypes.some((mediaType) => matchesMediaType(contentType, mediaType))
      : await hasBody(c.req);
    if (unsupported) throw new HTTPException(415, { message: "Unsupported Media Type" });
    await next();
  };
}

const isJsonType = (type: string) => /^application\/([a-z-\.]+\+)?json/i.test(type);
const isFormType = (type: string) =>
  /^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(type);
const JSON_REQUEST = /^application\/([a-z-\.]+\+)?json(;\s*[a-zA-Z0-9\-]+\=([^;]+))*$/i;
const MULTIPART_REQUEST = /^multipart\/form-data(;\s?boundary=[a-zA-Z0-9'"()+_,\-./:=?]+)?$/i;
const URLENCODED_REQUEST = /^application\/x-www-form-urlencoded(;\s*[a-zA-Z0-9\-]+\=([^;]+))*$/i;

function matchesMediaType(contentType: string, mediaType: string): boolean {
  if (mediaType === "*/*") return true;
  if (isJsonType(mediaType)) return JSON_REQUEST.test(contentType);
  if (isFormType(mediaType)) {
    return MULTIPART_REQUEST.test(contentType) || URLENCODED_REQUEST.test(contentType);
  }
  const essence = contentType.split(";")[0].trim().toLowerCase();
  if (mediaType.endsWith("/*")) return essence.startsWith(mediaType.slice(0, -1).toLowerCase());
  return essence === mediaType.toLowerCase();
}

/** Whether a request without content-type carries bytes (read from a clone). */
async function hasBody(req: HonoRequest): Promise<boolean> {
  const raw = req.raw;
  if (raw.body === null) return false;
  if (raw.bodyUsed) return (await req.arrayBuffer()).byteLength > 0;
  const body = raw.clone().body;
  if (body === null) return false;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return false;
      if (value.byteLength > 0) return true;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** Headers arrive lowercased: map them back to the names the schema spells. */
function headerNamesOf(schema: Schema): Map<string, string> | undefined {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  if (!shape) return undefined;
  return new Map(Object.keys(shape).map((key) => [key.toLowerCase(), key]));
}

function renameKeys(value: Record<string, unknown>, names: Map<string, string>) {
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [names.get(key) ?? key, v]));
}
