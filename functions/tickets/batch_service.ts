/**
 * Offline scans uploaded in bulk. They are applied in scan-time order with
 * the same check-in as online scans, each stored with its nonce (so an
 * upload retried after a dropped connection changes nothing), and an entry
 * the device admitted but the server refuses is flagged as a conflict.
 */
import type { Db } from "../../shared/db/mod.ts";
import { DomainError } from "../../shared/errors.ts";
import { verifyTicketCode } from "../../shared/tickets/codes.ts";
import { checkIn } from "./checkin_service.ts";
import {
  answerWithoutCheckin,
  type Direction,
  type Reason,
  type ScanAnswer,
} from "./scan_answer.ts";

export interface OfflineScan {
  code: string;
  nonce: string;
  scannedAt: Date;
  direction: Direction;
  gate?: string;
  deviceId?: string;
  /** What the device answered offline; anything but `ok` means nobody was let through. */
  offlineResult: Reason;
}

export interface BatchItem {
  index: number;
  nonce: string;
  outcome: ScanAnswer | null;
  error: { code: string; message: string } | null;
}

export interface BatchReport {
  items: BatchItem[];
  summary: { applied: number; replayed: number; ok: number; conflicts: number; errors: number };
}

/** Scans the device refused offline are logged, never applied: nobody went through. */
async function recordRefusal(
  sql: Db,
  eventId: string,
  scannerId: string,
  scan: OfflineScan,
): Promise<ScanAnswer> {
  const verified = await verifyTicketCode(scan.code);
  const answer = answerWithoutCheckin({
    result: verified ? scan.offlineResult : "invalid",
    ticket_id: verified?.ticketId ?? null,
    event_id: eventId,
    direction: scan.direction,
    gate: scan.gate ?? null,
    offline: true,
    scannedAt: scan.scannedAt,
  });
  // Like online scans, a code we did not sign is never written.
  if (!verified) return { ...answer, checkin_id: null, replayed: false };
  const [row] = await sql<{ answer: ScanAnswer }[]>`
    insert into public.checkins (ticket_id, event_id, scanner_id, device_id, gate, direction,
                                 result, offline, nonce, answer, scanned_at)
    select (select id from public.tickets where id = ${verified.ticketId}), ${eventId},
           ${scannerId}, ${scan.deviceId ?? null}, ${scan.gate ?? null}, ${scan.direction},
           ${answer.result}, true, ${scan.nonce}, ${sql.json(answer)}, ${scan.scannedAt}
    on conflict (scanner_id, nonce) do nothing
    returning answer || jsonb_build_object('checkin_id', id, 'replayed', false) as answer`;
  if (row) return row.answer;
  const [replay] = await sql<{ answer: ScanAnswer }[]>`
    select public.checkin_replay(${scannerId}, ${scan.nonce}) as answer`;
  return replay.answer;
}

async function applyOne(
  sql: Db,
  eventId: string,
  scannerId: string,
  scan: OfflineScan,
): Promise<ScanAnswer> {
  if (scan.offlineResult !== "ok") return await recordRefusal(sql, eventId, scannerId, scan);
  return await checkIn(sql, {
    code: scan.code,
    eventId,
    scannerId,
    direction: scan.direction,
    gate: scan.gate,
    deviceId: scan.deviceId,
    nonce: scan.nonce,
    at: scan.scannedAt,
    offline: true,
  });
}

/** Applies offline scans oldest first; one bad item is reported, not fatal to the batch. */
export async function applyOfflineBatch(
  sql: Db,
  eventId: string,
  scannerId: string,
  scans: OfflineScan[],
): Promise<BatchReport> {
  const now = Date.now();
  // A device clock ahead of ours must not admit "in the future": clamp to now.
  const clamped = scans.map((scan) => ({
    ...scan,
    scannedAt: new Date(Math.min(scan.scannedAt.getTime(), now)),
  }));
  const order = clamped.map((_, index) => index)
    .sort((a, b) => clamped[a].scannedAt.getTime() - clamped[b].scannedAt.getTime() || a - b);
  const items: BatchItem[] = new Array(scans.length);
  for (const index of order) {
    const scan = clamped[index];
    try {
      const outcome = await applyOne(sql, eventId, scannerId, scan);
      items[index] = { index, nonce: scan.nonce, outcome, error: null };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      items[index] = {
        index,
        nonce: scan.nonce,
        outcome: null,
        error: { code: error.code, message: error.message },
      };
    }
  }
  return { items, summary: summarize(items) };
}

function summarize(items: BatchItem[]): BatchReport["summary"] {
  const outcomes = items.flatMap((item) => (item.outcome ? [item.outcome] : []));
  return {
    applied: outcomes.filter((o) => !o.replayed).length,
    replayed: outcomes.filter((o) => o.replayed).length,
    ok: outcomes.filter((o) => o.result === "ok").length,
    conflicts: outcomes.filter((o) => o.conflict).length,
    errors: items.length - outcomes.length,
  };
}
