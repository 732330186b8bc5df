/**
 * The app factory every function uses: CORS the way Supabase documents it,
 * a request id, a body-size limit, one JSON log line per request, the
 * function's own OpenAPI document at `/<name>/openapi.json`, and the one
 * place where errors become responses.
 */
import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { config } from "./config.ts";
import { DomainError, statusFor, validationFailed } from "./errors.ts";
import { isConnectionLoss, translateDbError } from "./db/mod.ts";
import {
  isIdempotentRead,
  requestDeadline,
  RETRYABLE_READ_HEADER,
  retryReadsOnce,
} from "./http_resilience.ts";
import { errorFields, log } from "./log.ts";
import type { App, AppContext, AppEnv } from "./app_env.ts";
import { serveOpenApiDocument } from "./openapi.ts";
import { createOpenApiApp, type RequestTarget } from "./routing.ts";

export type { App, AppContext, AppEnv } from "./app_env.ts";

/**
 * Headers the Supabase client sends (its `@supabase/supabase-js/cors` list: a
 * test keeps them in sync; the trace headers come with `tracePropagation`) plus ours.
 */
export const CORS_ALLOW_HEADERS = [
  "authorization",
  "x-client-info",
  "apikey",
  "content-type",
  "x-retry-count",
  "traceparent",
  "tracestate",
  "baggage",
  "idempotency-key",
  "x-request-id",
];
/** Response headers a page may read (a browser hides the others from script). */
const CORS_EXPOSE_HEADERS = ["x-request-id", "retry-after", "idempotent-replayed"];

/** Builds the Hono app of one function, mounted under `/<name>` as Supabase routes it. */
export function createApp(name: string): App {
  const app = createOpenApiApp<AppEnv>(`/${name}`, (issues, target) => {
    throw validationFailed(issues, locationOf(target));
  });
  app.use("*", requestContext());
  app.use("*", safeResponseHeaders());
  app.use("*", refuseUnknownMethods());
  app.use("*", requestDeadline());
  app.use("*", corsMiddleware());
  app.use("*", bodyLimitMiddleware());
  serveOpenApiDocument(app, name);
  app.onError(handleError);
  app.notFound((c) => errorResponse(c, new DomainError("not_found", "No such route")));
  app.fetch = retryReadsOnce(app.fetch);
  return app;
}

function locationOf(target: RequestTarget): string {
  return target === "json" ? "body" : target === "param" ? "path" : target;
}

/** Request id (taken from x-request-id when sane, else generated) and the access log. */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const requestId = assignRequestId(c);
    const started = performance.now();
    await next();
    c.header("x-request-id", requestId);
    log.info("request", {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
  };
}

/**
 * Every answer: nosniff (a JSON error must never be sniffed into HTML), and
 * no-store unless the route chose its own caching (the QR keeps `private`):
 * tickets, codes, orders and profiles must not sit in a shared cache.
 */
export function safeResponseHeaders(): MiddlewareHandler {
  return async function safeResponseHeaders(c, next) {
    await next();
    c.res.headers.set("x-content-type-options", "nosniff");
    if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
  };
}

/** The methods any function answers; CORS lists the same. */
export const ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * TRACE, CONNECT, WebDAV verbs and made-up methods: a 405 with the error
 * shape, before anything (the platform's Request refuses to even copy a
 * TRACE request, which surfaced as a bare 500).
 */
export function refuseUnknownMethods(): MiddlewareHandler {
  return async function refuseUnknownMethods(c, next) {
    if (ALLOWED_METHODS.includes(c.req.method)) return await next();
    c.header("allow", ALLOWED_METHODS.join(", "));
    return errorResponse(
      c,
      new DomainError("method_not_allowed", "This HTTP method is not supported"),
    );
  };
}

/** The request's id: x-request-id when sane, else a new one; kept on the context. */
export function assignRequestId(c: Context): string {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", requestId);
  return requestId;
}

export function corsMiddleware(): MiddlewareHandler {
  const origins = config().corsOrigins;
  return cors({
    origin: origins.includes("*") ? "*" : (origin) => (origins.includes(origin) ? origin : null),
    allowHeaders: CORS_ALLOW_HEADERS,
    allowMethods: ALLOWED_METHODS.filter((method) => method !== "HEAD"),
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: 86400,
  });
}

function bodyLimitMiddleware(): MiddlewareHandler {
  const maxSize = config().MAX_BODY_BYTES;
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new DomainError("payload_too_large", "The request body is too large", {
        max_bytes: maxSize,
      });
    },
  });
}

/** The single error path: DomainError, database guards, framework errors, then 500. */
export function handleError(error: unknown, c: AppContext): Response {
  if (error instanceof DomainError) return errorResponse(c, error);
  const fromDb = translateDbError(error);
  if (fromDb) {
    log.warn("database guard", { request_id: c.get("requestId"), ...errorFields(error) });
    const response = errorResponse(c, fromDb);
    if (isConnectionLoss(error) && isIdempotentRead(c.req.method)) {
      response.headers.set(RETRYABLE_READ_HEADER, "1");
    }
    return response;
  }
  if (error instanceof HTTPException) return errorResponse(c, fromHttpException(error));
  log.error("unhandled error", {
    request_id: c.get("requestId"),
    path: c.req.path,
    ...errorFields(error),
    stack: error instanceof Error ? error.stack : undefined,
  });
  return errorResponse(c, new DomainError("internal", "Something went wrong on our side"));
}

function fromHttpException(error: HTTPException): DomainError {
  if (error.status === 400 && /json/i.test(error.message)) {
    return new DomainError("invalid_json", "The request body is not valid JSON");
  }
  if (error.status === 413) {
    return new DomainError("payload_too_large", "The request body is too large");
  }
  const status = error.status as ContentfulStatusCode;
  return new DomainError(
    status >= 500 ? "internal" : "bad_request",
    error.message,
    undefined,
    status,
  );
}

export function errorResponse(c: Context, error: DomainError): Response {
  const body = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details !== undefined ? { details: error.details } : {}),
      request_id: c.get("requestId"),
    },
  };
  const retryAfter = retryAfterOf(error);
  if (retryAfter !== undefined) c.header("retry-after", String(retryAfter));
  return c.json(body, statusFor(error));
}

function retryAfterOf(error: DomainError): number | undefined {
  const details = error.details as { retry_after_seconds?: unknown } | undefined;
  return typeof details?.retry_after_seconds === "number"
    ? Math.max(1, Math.ceil(details.retry_after_seconds))
    : undefined;
}
