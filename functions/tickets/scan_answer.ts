/**
 * The scan answer, described once. public.checkin_apply builds it in SQL and
 * stores it for nonce replays (flat, snake_case); TypeScript builds the same
 * shape for scans it never stores; the HTTP result (ScanResultSchema, in the
 * OpenAPI document) is derived from it field by field. tests/tickets/
 * scan_answer_test.ts holds the SQL answers, the checkins CHECK constraint and
 * the README's reason table to this file.
 */
import { z } from "zod";

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
  // The order's payment was charged back (the buyer disputed it with their bank).
  "disputed",
] as const;

export const ReasonSchema = z.enum(REASON_CODES).meta({
  id: "CheckinResult",
  description: "Stable reason code of a scan; only `ok` admits (or lets out).",
});
export const DirectionSchema = z.enum(["entry", "exit"]);

/** A time as Postgres writes it into jsonb (ISO 8601 with an offset). */
const StoredTime = z.iso.datetime({ offset: true });

const PreviousEntry = z.object({
  at: StoredTime,
  gate: z.string().nullable(),
  scanner_id: z.uuid().nullable(),
  first_at: StoredTime,
  entries: z.number().int(),
}).strict();

/** The answer as public.checkin_ticket returns and public.checkins.answer stores it. */
export const ScanAnswerSchema = z.object({
  result: ReasonSchema,
  checkin_id: z.number().int().nullable().meta({ description: "null: nothing was stored" }),
  replayed: z.boolean().meta({ description: "The stored answer to an earlier scan, same nonce" }),
  ticket_id: z.uuid().nullable(),
  event_id: z.uuid(),
  ticket_type_id: z.uuid().nullable(),
  ticket_type_name: z.string().nullable(),
  attendee_name: z.string().nullable(),
  direction: DirectionSchema,
  gate: z.string().nullable(),
  scanned_at: StoredTime,
  offline: z.boolean(),
  conflict: z.boolean().meta({
    description: "An offline device admitted this ticket but the server did not",
  }),
  previous: PreviousEntry.nullable().meta({
    description: "For already_redeemed: the admission that counted",
  }),
}).strict();

export type ScanAnswer = z.infer<typeof ScanAnswerSchema>;
export type Reason = (typeof REASON_CODES)[number];
export type Direction = z.infer<typeof DirectionSchema>;

const answer = ScanAnswerSchema.shape;

/** The HTTP result: the stored answer with the ticket's fields grouped and `ok` spelled out. */
export const ScanResultSchema = z.object({
  result: answer.result,
  ok: z.boolean(),
  checkin_id: answer.checkin_id,
  replayed: answer.replayed,
  event_id: answer.event_id,
  ticket: z.object({
    id: z.uuid(),
    ticket_type_id: answer.ticket_type_id,
    ticket_type_name: answer.ticket_type_name,
    attendee_name: answer.attendee_name,
  }).nullable(),
  direction: answer.direction,
  gate: answer.gate,
  scanned_at: answer.scanned_at,
  offline: answer.offline,
  conflict: answer.conflict,
  previous: answer.previous,
}).meta({ id: "ScanResult" });

export type ScanResult = z.input<typeof ScanResultSchema>;

/** A scan answered without the check-in (a code we did not sign, a refusal logged as sent). */
export function answerWithoutCheckin(
  fields:
    & Pick<ScanAnswer, "result" | "ticket_id" | "event_id" | "direction" | "gate" | "offline">
    & { scannedAt: Date },
): Omit<ScanAnswer, "checkin_id" | "replayed"> {
  const { scannedAt, ...rest } = fields;
  return {
    ...rest,
    ticket_type_id: null,
    ticket_type_name: null,
    attendee_name: null,
    scanned_at: scannedAt.toISOString(),
    conflict: false,
    previous: null,
  };
}

/** The HTTP result of an answer (ISO times normalised to UTC). */
export function scanResult(answer: ScanAnswer): ScanResult {
  const iso = (value: string) => new Date(value).toISOString();
  return {
    result: answer.result,
    ok: answer.result === "ok",
    checkin_id: answer.checkin_id,
    replayed: answer.replayed,
    event_id: answer.event_id,
    ticket: answer.ticket_id
      ? {
        id: answer.ticket_id,
        ticket_type_id: answer.ticket_type_id,
        ticket_type_name: answer.ticket_type_name,
        attendee_name: answer.attendee_name,
      }
      : null,
    direction: answer.direction,
    gate: answer.gate,
    scanned_at: iso(answer.scanned_at),
    offline: answer.offline,
    conflict: answer.conflict,
    previous: answer.previous
      ? { ...answer.previous, at: iso(answer.previous.at), first_at: iso(answer.previous.first_at) }
      : null,
  };
}
