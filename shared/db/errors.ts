/**
 * Postgres errors that bad input or contention can cause, turned into domain
 * errors so the database's own guards (CHECK, UNIQUE, lock_timeout) surface
 * as clear 4xx/503 answers instead of a 500 with SQL text.
 */
import { DomainError } from "../errors.ts";

interface PgError {
  code: string;
  constraint_name?: string;
  column_name?: string;
}

function isPgError(error: unknown): error is PgError {
  return typeof error === "object" && error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    /^[0-9A-Z]{5}$/.test((error as { code: string }).code);
}

/** Returns the DomainError for a known Postgres error, or undefined. */
export function translateDbError(error: unknown): DomainError | undefined {
  if (!isPgError(error)) return undefined;
  const field = error.column_name ?? error.constraint_name;
  const details = field ? { constraint: error.constraint_name, field } : undefined;
  switch (error.code) {
    case "23505":
      return new DomainError("conflict", "A record with these values already exists", details);
    case "23503":
      return new DomainError("conflict", "A referenced record does not exist", details);
    case "23514":
    case "23502":
      return new DomainError("constraint_violation", "The change breaks a data rule", details, 409);
    case "22P02":
    case "22007":
    case "22008":
    case "22003":
    case "22001":
      return new DomainError("validation_failed", "A value has the wrong format or size", details);
    // lock_timeout and statement_timeout: the row is contended; the client may retry.
    case "55P03":
    case "57014":
    case "40P01":
    case "40001":
      return new DomainError("busy", "The system is busy, please retry", undefined, 503);
    default:
      return undefined;
  }
}
