/**
 * The one error type services throw, and the one table that maps its stable
 * code to an HTTP status. Codes are snake_case and never change meaning: the
 * frontend translates them.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ErrorDetails = Record<string, unknown> | Array<Record<string, unknown>>;

export class DomainError extends Error {
  override name = "DomainError";
  constructor(
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
    /** Explicit status for codes not in STATUS_BY_CODE. */
    readonly status?: ContentfulStatusCode,
  ) {
    super(message);
  }
}

/** code → HTTP status. Anything unlisted is a 400 unless the error says otherwise. */
export const STATUS_BY_CODE: Record<string, ContentfulStatusCode> = {
  validation_failed: 400,
  invalid_json: 400,
  unauthorized: 401,
  unknown_user: 401,
  invalid_signature: 401,
  forbidden: 403,
  not_found: 404,
  event_not_found: 404,
  ticket_type_not_found: 404,
  order_not_found: 404,
  ticket_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_conflict: 409,
  event_has_orders: 409,
  slug_taken: 409,
  capacity_below_sold: 409,
  sold_out: 409,
  order_not_refundable: 409,
  tickets_not_refundable: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  payment_provider_unavailable: 502,
  email_provider_unavailable: 502,
  service_unavailable: 503,
  unavailable: 503,
  busy: 503,
  // tickets
  user_not_found: 404,
  // events (issue 3)
  staff_not_found: 404,
  ticket_type_name_taken: 409,
  ticket_type_has_orders: 409,
  invalid_status_transition: 409,
  cancellation_not_found: 404,
  // notifications
  email_not_found: 404,
  email_not_failed: 409,
  // purchases
  max_per_order_exceeded: 400,
  user_limit_exceeded: 409,
  sales_not_open: 409,
  sales_closed: 409,
  event_not_on_sale: 409,
  // waiting room (issue 17)
  queue_not_found: 404,
  not_in_queue: 404,
  queue_closed: 409,
  queue_not_open: 409,
  queue_started: 409,
  queue_unavailable: 503,
  admission_required: 403,
  admission_invalid: 403,
  admission_expired: 403,
  admission_used: 403,
  admission_wrong_user: 403,
  admission_wrong_event: 403,
  hold_exists: 409,
  hold_limit_exceeded: 429,
};

export function statusFor(error: DomainError): ContentfulStatusCode {
  return error.status ?? STATUS_BY_CODE[error.code] ?? 400;
}

export const notFound = (code = "not_found", message = "Not found") =>
  new DomainError(code, message);

export const forbidden = (message = "You are not allowed to do this") =>
  new DomainError("forbidden", message);

export const unauthorized = (message = "Missing or invalid access token") =>
  new DomainError("unauthorized", message);

/** A zod-style issue list turned into `details` with dotted field paths. */
export function validationFailed(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string }>,
  location = "body",
): DomainError {
  const details = issues.map((issue) => ({
    field: [location, ...issue.path.map(String)].join("."),
    message: issue.message,
    ...(issue.code ? { code: issue.code } : {}),
  }));
  return new DomainError("validation_failed", "The request is not valid", details);
}
