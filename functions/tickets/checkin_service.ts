/**
 * The door: verify a code's signature (no database write for a forgery),
 * then one call to public.checkin_ticket, which checks the ticket in or
 * records why not, atomically, and answers a retried nonce from the log.
 */
import type { AuthUser } from "../../shared/auth.ts";
import type { Db } from "../../shared/db/mod.ts";
import { DomainError, forbidden } from "../../shared/errors.ts";
import { log } from "../../shared/log.ts";
import { verifyTicketCode } from "../../shared/tickets/codes.ts";
import { DOOR_ROLES, doorEventFor, mayActAt } from "../../shared/event_access.ts";
import { answerWithoutCheckin, type Direction, type ScanAnswer } from "./scan_answer.ts";

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

function unsignedAnswer(scan: Scan): ScanAnswer {
  return {
    ...answerWithoutCheckin({
      result: "invalid",
      ticket_id: null,
      event_id: scan.eventId,
      direction: scan.direction,
      gate: scan.gate ?? null,
      offline: scan.offline ?? false,
      scannedAt: scan.at,
    }),
    checkin_id: null,
    replayed: false,
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

/**
 * The online door in one database round trip: the caller's right to scan for
 * the event (admin, or its scanner/coordinator), the event's existence and the
 * check-in, in one statement, with doorEventFor's answers (403, then 404).
 * A forged code writes nothing and still answers 403/404 first.
 */
export async function checkInAtDoor(sql: Db, user: AuthUser, scan: Scan): Promise<ScanAnswer> {
  const verified = await verifyTicketCode(scan.code);
  if (!verified) {
    await doorEventFor(sql, user, scan.eventId);
    log.info("ticket code rejected", { event_id: scan.eventId, scanner_id: scan.scannerId });
    return unsignedAnswer(scan);
  }
  // CASE evaluates the (volatile) check-in only when the caller may scan and the event exists.
  const [row] = await sql<{ allowed: boolean; found: boolean; answer: ScanAnswer | null }[]>`
    select a.allowed, e.id is not null as found,
           case when e.id is not null and a.allowed
                then public.checkin_ticket(
                  ${verified.ticketId}, ${scan.eventId}, ${scan.scannerId}, ${scan.direction},
                  ${scan.gate ?? null}, ${scan.deviceId ?? null}, ${scan.nonce ?? null},
                  ${scan.at}, ${scan.offline ?? false})
           end as answer
      from (select ${scan.eventId}::uuid as id) p
      cross join lateral (select ${mayActAt(sql, user, sql`p.id`, DOOR_ROLES)} as allowed) a
      left join public.events e on e.id = p.id`;
  if (!row.allowed) throw forbidden();
  if (!row.found || !row.answer) throw new DomainError("event_not_found", "No such event");
  assertSameScan(row.answer, verified.ticketId, scan);
  return row.answer;
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
