/**
 * The SQLSTATEs the order functions raise (CRP01…CRP11, see the purchases and
 * order migrations; CRQ01…CRQ05, the waiting room's) as stable domain codes. The function puts the details in
 * DETAIL (JSON) and the buyer-facing sentence in HINT.
 */
import { DomainError } from "../../shared/errors.ts";

const CODES: Record<string, string> = {
  CRP01: "sold_out",
  CRP02: "max_per_order_exceeded",
  CRP03: "user_limit_exceeded",
  CRP04: "sales_not_open",
  CRP05: "sales_closed",
  CRP06: "event_not_on_sale",
  CRP07: "ticket_type_not_found",
  CRP08: "event_not_found",
  CRP09: "idempotency_conflict",
  CRP10: "order_not_found",
  CRP11: "order_not_refundable",
  CRQ01: "admission_required",
  CRQ03: "admission_used",
  CRQ04: "hold_exists",
  CRQ05: "hold_limit_exceeded",
  CRP12: "tickets_not_refundable",
};

/** The domain error for an order function's SQLSTATE, or undefined for anything else. */
export function orderError(error: unknown): DomainError | undefined {
  const pg = error as { code?: string; detail?: string; hint?: string };
  const code = pg?.code ? CODES[pg.code] : undefined;
  if (!code) return undefined;
  let details: Record<string, unknown> | undefined;
  try {
    details = pg.detail ? JSON.parse(pg.detail) : undefined;
  } catch {
    details = undefined;
  }
  return new DomainError(code, pg.hint ?? code, details);
}
