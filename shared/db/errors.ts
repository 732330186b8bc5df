/**
 * Postgres errors that bad input or contention can cause, turned into domain
 * errors so the database's own guards (CHECK, UNIQUE, lock_timeout) surface
 * as clear 4xx/503 answers instead of a 500 with SQL text. Constraint and
 * table names stay in the logs: a response names at most a column.
 */
import { DomainError } from "../errors.ts";

interface PgError {
  code: string;
  constraint_name?: string;
  column_name?: string;
  detail?: string;
}

function isPgError(error: unknown): error is PgError {
  return typeof error === "object" && error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    /^[0-9A-Z]{5}$/.test((error as { code: string }).code);
}

/** How long a client should wait before retrying when the database is out of reach. */
export const DB_RETRY_AFTER_SECONDS = 2;

/**
 * The driver's and the socket's own codes for a connection that is gone or
 * never came (postgres.js: CONNECTION_*, CONNECT_TIMEOUT; Node: E*).
 */
const CONNECTION_LOSS_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/**
 * True when the database connection was lost or refused (the server restarting,
 * shutting down, starting up, out of connections, the network): nothing the
 * request did was wrong, and the same read may succeed on a fresh connection.
 */
export function isConnectionLoss(error: unknown): boolean {
  const code = codeOf(error);
  if (!code) return false;
  return CONNECTION_LOSS_CODES.has(code) ||
    // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now,
    // 08xxx connection exceptions, 53300 too_many_connections.
    /^(57P0[123]|08[0-9A-Z]{3}|53300)$/.test(code);
}

/** 503 `unavailable` with Retry-After: the database (or its pool) cannot serve right now. */
export function databaseUnavailable(): DomainError {
  return new DomainError(
    "unavailable",
    "The service is temporarily unavailable, please retry",
    { retry_after_seconds: DB_RETRY_AFTER_SECONDS },
  );
}

/**
 * True when a query waited DB_POOL_WAIT_MS for a free connection of an
 * exhausted pool (shared/vendor/postgres queue_timeout). Not a connection
 * loss: retrying at once would only queue again.
 */
export function isPoolTimeout(error: unknown): boolean {
  return codeOf(error) === "CONNECTION_QUEUE_TIMEOUT";
}

/** Returns the DomainError for a known Postgres error, or undefined. */
export function translateDbError(error: unknown): DomainError | undefined {
  if (isConnectionLoss(error) || isPoolTimeout(error)) return databaseUnavailable();
  if (!isPgError(error)) return undefined;
  const details = error.column_name ? { field: error.column_name } : undefined;
  // Class 22 is "data exception": a value the column or cast refuses (bad
  // format, out of range, NUL or bad bytes in text). The input's fault, so a 400.
  if (error.code.startsWith("22")) {
    return new DomainError("validation_failed", "A value has the wrong format or size", details);
  }
  switch (error.code) {
    case "23505":
      return new DomainError("conflict", "A record with these values already exists", details);
    case "23503":
      return isUnknownUser(error)
        ? new DomainError("unknown_user", "The signed-in user no longer exists")
        : new DomainError("conflict", "A referenced record does not exist", details);
    case "23514":
    case "23502":
      return new DomainError("constraint_violation", "The change breaks a data rule", details, 409);
    // statement_timeout (or a cancel): the database is too slow to answer in time.
    case "57014":
      return databaseUnavailable();
    // lock_timeout, deadlock, serialization: the row is contended; the client may retry.
    case "55P03":
    case "40P01":
    case "40001":
      return new DomainError("busy", "The system is busy, please retry", undefined, 503);
    default:
      return undefined;
  }
}

/**
 * Services check a *target* user exists before referencing it (staff
 * assignment): a row refused for a missing auth.users row names the caller,
 * whose token is valid but whose account was deleted.
 */
function isUnknownUser(error: PgError): boolean {
  return /is not present in table "users"/.test(error.detail ?? "");
}
