/** Reads of tickets: a user's tickets, one ticket, and the code behind its QR. */
import type { AuthUser } from "../../shared/auth.ts";
import type { Db } from "../../shared/db/mod.ts";
import { notFound } from "../../shared/errors.ts";
import { canActOnEvent, DOOR_ROLES } from "../../shared/event_access.ts";
import { issueTicketCode } from "../../shared/tickets/codes.ts";
import { type Cursor, encodeCursor } from "../../shared/cursor.ts";

export interface TicketRow {
  id: string;
  order_id: string;
  owner_id: string | null;
  event_id: string;
  ticket_type_id: string;
  ticket_type_name: string;
  event_title: string;
  event_slug: string;
  event_venue: string;
  event_starts_at: Date;
  event_ends_at: Date;
  attendee_name: string | null;
  attendee_email: string | null;
  status: "valid" | "revoked";
  revoked_at: Date | null;
  issued_at: Date;
  inside: boolean;
  entries: number;
  checked_in_at: Date | null;
  last_entry_at: Date | null;
  last_entry_gate: string | null;
  last_exit_at: Date | null;
}

export type TicketView = TicketRow & { code?: string };

const ticketColumns = (sql: Db) =>
  sql`t.id, t.order_id, t.owner_id, t.event_id, t.ticket_type_id, tt.name as ticket_type_name,
      e.title as event_title, e.slug as event_slug, e.venue as event_venue,
      e.starts_at as event_starts_at, e.ends_at as event_ends_at, t.attendee_name,
      t.attendee_email, t.status, t.revoked_at, t.issued_at, t.inside, t.entries,
      t.checked_in_at, t.last_entry_at, t.last_entry_gate, t.last_exit_at
      from public.tickets t
      join public.ticket_types tt on tt.id = t.ticket_type_id
      join public.events e on e.id = t.event_id`;

const withCode = async (row: TicketRow): Promise<TicketView> => ({
  ...row,
  code: await issueTicketCode({ ticketId: row.id, eventId: row.event_id }),
});

export interface TicketPage {
  tickets: TicketView[];
  next_cursor: string | null;
}

/**
 * A page of a user's tickets, newest first, each with its code; only that
 * user or an admin (else 404). Continues strictly after `cursor`.
 */
export async function listUserTickets(
  sql: Db,
  viewer: AuthUser,
  userId: string,
  page: { limit: number; cursor?: Cursor },
): Promise<TicketPage> {
  if (viewer.id !== userId.toLowerCase() && !viewer.isAdmin) throw notFound("user_not_found");
  const { cursor, limit } = page;
  // ::text first: a timestamptz parameter would lose the cursor's microseconds.
  const after = cursor
    ? sql`and (t.issued_at, t.id) < (${cursor.at}::text::timestamptz, ${cursor.id}::uuid)`
    : sql``;
  const rows = await sql<(TicketRow & { cursor_at: string })[]>`
    select to_char(t.issued_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at,
           ${ticketColumns(sql)}
     where t.owner_id = ${userId} ${after}
     order by t.issued_at desc, t.id desc limit ${limit + 1}`;
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    tickets: await Promise.all(shown.map(({ cursor_at: _, ...row }) => withCode(row))),
    next_cursor: rows.length > limit && last
      ? encodeCursor({ at: last.cursor_at, id: last.id })
      : null,
  };
}

async function loadTicket(sql: Db, ticketId: string): Promise<TicketRow | undefined> {
  const [row] = await sql<TicketRow[]>`select ${ticketColumns(sql)} where t.id = ${ticketId}`;
  return row;
}

/**
 * One ticket for its owner or an admin (with its code) or for staff of its
 * event (without: door staff see state, not a reusable code). Others: 404.
 */
export async function getTicket(sql: Db, viewer: AuthUser, ticketId: string): Promise<TicketView> {
  const row = await loadTicket(sql, ticketId);
  if (!row) throw notFound("ticket_not_found", "No such ticket");
  if (row.owner_id === viewer.id || viewer.isAdmin) return await withCode(row);
  if (await canActOnEvent(sql, viewer, row.event_id, DOOR_ROLES)) return row;
  throw notFound("ticket_not_found", "No such ticket");
}

/** The code a ticket's QR shows; only its owner or an admin (else 404). */
export async function ticketCodeFor(sql: Db, viewer: AuthUser, ticketId: string): Promise<string> {
  const [row] = await sql<{ owner_id: string; event_id: string }[]>`
    select owner_id, event_id from public.tickets where id = ${ticketId}`;
  if (!row || (row.owner_id !== viewer.id && !viewer.isAdmin)) {
    throw notFound("ticket_not_found", "No such ticket");
  }
  return await issueTicketCode({ ticketId, eventId: row.event_id });
}
