/**
 * What an offline scanner needs to keep validating: the public keys, the
 * event's admission window, its ticket types, and the tickets changed since
 * its last sync (revocations included), paged by a (updated_at, id) cursor.
 */
import type { Db } from "../../shared/db/mod.ts";
import { validationFailed } from "../../shared/errors.ts";
import { type PublicKeyInfo, publicKeys } from "../../shared/tickets/keys.ts";
import type { DoorEvent } from "../../shared/event_access.ts";

// A ticket's updated_at is its transaction's start, visible only at commit:
// a caught-up cursor stays this far behind the clock, so a change committed
// late is sent next time instead of being skipped (re-sending is harmless).
const VISIBILITY_MARGIN_SECONDS = 60;
const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** What an offline scanner is told about a ticket (a scan answer needs nothing more). */
export const SYNC_STATUSES = ["valid", "revoked", "unpaid"] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

export interface SyncTicket {
  id: string;
  ticket_type_id: string;
  attendee_name: string | null;
  status: SyncStatus;
  inside: boolean;
  entries: number;
  checked_in_at: Date | null;
  revoked_at: Date | null;
}

export interface ScannerSync {
  event: DoorEvent;
  keys: PublicKeyInfo[];
  ticket_types: Array<{ id: string; name: string; allow_reentry: boolean }>;
  tickets: SyncTicket[];
  revocations: Array<{ ticket_id: string; status: SyncStatus; revoked_at: Date | null }>;
  next_cursor: string;
  has_more: boolean;
  server_time: Date;
}

interface Cursor {
  /**
   * updated_at as Postgres prints it, microseconds included. Always cast in SQL
   * as `::text::timestamptz`: a parameter typed timestamptz would be sent
   * through a JS Date and lose the microseconds, re-sending a page forever.
   */
  at: string;
  id: string;
}

const encodeCursor = ({ at, id }: Cursor) =>
  btoa(`${at}|${id}`).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

/** Reads a cursor this service issued; anything else is a 400 on `query.since`. */
export function decodeCursor(text: string): Cursor {
  try {
    const [at, id] = atob(text.replaceAll("-", "+").replaceAll("_", "/")).split("|");
    if (!Number.isNaN(Date.parse(at)) && /^[0-9a-f-]{36}$/.test(id)) return { at, id };
  } catch { /* fall through */ }
  throw validationFailed([{ path: ["since"], message: "Not a cursor from scanner-sync" }], "query");
}

type Row = SyncTicket & { updated_at: string; order_status: string; event_status: string };

/** One page of the sync for `event` (staff already checked by the caller). */
export async function scannerSync(
  sql: Db,
  event: DoorEvent,
  since: string | undefined,
  limit: number,
): Promise<ScannerSync> {
  const from = since ? decodeCursor(since) : undefined;
  const [{ now, caught_up_at }] = await sql<{ now: Date; caught_up_at: string }[]>`
    select now(), (now() - make_interval(secs => ${VISIBILITY_MARGIN_SECONDS}))::text
           as caught_up_at`;
  const rows = await sql<Row[]>`
    select t.id, t.ticket_type_id, t.attendee_name, t.status, t.inside, t.entries,
           t.checked_in_at, t.revoked_at, t.updated_at::text as updated_at,
           o.status as order_status, e.status as event_status
      from public.tickets t
      join public.orders o on o.id = t.order_id
      join public.events e on e.id = t.event_id
     where t.event_id = ${event.id}
       ${
    from ? sql`and (t.updated_at, t.id) > (${from.at}::text::timestamptz, ${from.id}::uuid)` : sql``
  }
     order by t.updated_at, t.id
     limit ${limit + 1}`;
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit);
  const tickets = page.map(toSyncTicket);
  return {
    event,
    keys: await publicKeys(),
    ticket_types: await sql`
      select id, name, allow_reentry from public.ticket_types
       where event_id = ${event.id} order by sort_order, name`,
    tickets,
    revocations: tickets.filter((t) => t.status !== "valid")
      .map((t) => ({ ticket_id: t.id, status: t.status, revoked_at: t.revoked_at })),
    next_cursor: encodeCursor(await nextCursor(sql, page, hasMore, from, caught_up_at)),
    has_more: hasMore,
    server_time: now,
  };
}

/** After a full page: its last row. Caught up: that row (or `from`), but never past the margin. */
async function nextCursor(
  sql: Db,
  page: Row[],
  hasMore: boolean,
  from: Cursor | undefined,
  caughtUpAt: string,
): Promise<Cursor> {
  const last = page.at(-1);
  const candidate = last ? { at: last.updated_at, id: last.id } : from;
  if (hasMore && candidate) return candidate;
  const margin = { at: caughtUpAt, id: NIL_UUID };
  if (!candidate) return margin;
  const [{ before }] = await sql<{ before: boolean }[]>`
    select ${candidate.at}::text::timestamptz < ${caughtUpAt}::text::timestamptz as before`;
  return before ? candidate : margin;
}

function toSyncTicket(row: Row): SyncTicket {
  const revoked = row.status === "revoked" || row.event_status === "cancelled";
  return {
    id: row.id,
    ticket_type_id: row.ticket_type_id,
    attendee_name: row.attendee_name,
    status: revoked ? "revoked" : row.order_status === "paid" ? "valid" : "unpaid",
    inside: row.inside,
    entries: row.entries,
    checked_in_at: row.checked_in_at,
    revoked_at: row.revoked_at,
  };
}
