/**
 * The door: verify a code's signature (no database write for a forgery),
 * then one call to public.checkin_ticket, which checks the ticket in or
 * records why not, atomically, and answers a retried nonce from the log.
 */
import type { Db } from "../../shared/db.ts";
import { DomainError } from "../../shared/errors.ts";
import { log } from "../../shared/log.ts";
import { verifyTicketCode } from "../../shared/tickets/codes.ts";

export const REASON_CODES = [
  "ok",
  "already_redeemed",
  "invalid",
  "wrong_event",
  "revoked",
  "unpaid",
  "not_yet_valid",
  "expired",
  "not_inside",
] as const;
export type Reason = (typeof REASON_CODES)[number];
export type Direction = "entry" | "exit";

export interface Scan {
  code: string;
  eventId: string;
  scannerId: string;
  direction: Direction;
  gate?: string;
  deviceId?: string;
  nonce?: string;
  /** Scan time; online scans pass now. */
  at: Date;
  offline?: boolean;
}

/** The stored answer, as public.checkin_ticket builds it (snake_case, JSON). */
export interface ScanAnswer {
  result: Reason;
  checkin_id: number | null;
  replayed: boolean;
  ticket_id: string | null;
  event_id: string;
  ticket_type_id: string | null;
  ticket_type_name: string | null;
  attendee_name: string | null;
  direction: Direction;
  gate: string | null;
  scanned_at: string;
  offline: boolean;
  conflict: boolean;
  previous: {
    at: string;
    gate: string | null;
    scanner_id: string | null;
    first_at: string;
    entries: number;
  } | null;
}

function unsignedAnswer(scan: Scan): ScanAnswer {
  return {
    result: "invalid",
    checkin_id: null,
    replayed: false,
    ticket_id: null,
    event_id: scan.eventId,
    ticket_type_id: null,
    ticket_type_name: null,
    attendee_name: null,
    direction: scan.direction,
    gate: scan.gate ?? null,
    scanned_at: scan.at.toISOString(),
    offline: scan.offline ?? false,
    conflict: false,
    previous: null,
  };
}

/** Validates one scan; a forged or unreadable code is `invalid` and writes nothing. */
export async function checkIn(sql: Db, scan: Scan): Promise<ScanAnswer> {
  const verified = await verifyTicketCode(scan.code);
  if (!verified) {
    log.info("ticket code rejected", { event_id: scan.eventId, scanner_id: scan.scannerId });
    return unsignedAnswer(scan);
  }
  const [{ answer }] = await sql<{ answer: ScanAnswer }[]>`
    select public.checkin_ticket(
      ${verified.ticketId}, ${scan.eventId}, ${scan.scannerId}, ${scan.direction},
      ${scan.gate ?? null}, ${scan.deviceId ?? null}, ${scan.nonce ?? null}, ${scan.at},
      ${scan.offline ?? false}) as answer`;
  assertSameScan(answer, verified.ticketId, scan);
  return answer;
}

// A nonce names one scan: reusing it for another ticket or event is a client bug, not a retry.
function assertSameScan(answer: ScanAnswer, ticketId: string, scan: Scan): void {
  if (!answer.replayed) return;
  const otherTicket = answer.ticket_id !== null && answer.ticket_id !== ticketId;
  if (otherTicket || answer.event_id !== scan.eventId || answer.direction !== scan.direction) {
    throw new DomainError(
      "idempotency_conflict",
      "This nonce was already used for a different scan",
      { nonce: scan.nonce },
    );
  }
}
