/**
 * Small builders for route definitions so every function documents its
 * request bodies, responses and error codes the same way.
 */
import { z } from "@hono/zod-openapi";

export const ErrorSchema = z.object({
  error: z.object({
    code: z.string().openapi({ example: "validation_failed" }),
    message: z.string(),
    details: z.unknown().optional(),
    request_id: z.string(),
  }),
}).openapi("Error");

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

export const UuidParam = z.uuid().openapi({ example: "6f1c1f1e-8a8e-4c2b-9a57-0d0e6c1f2a10" });
