/** Service results shaped as the JSON the schemas promise (ISO strings for times). */
import type { ScannerSync } from "./sync_service.ts";
import type { TicketView } from "./ticket_service.ts";

const iso = (value: Date | string) => new Date(value).toISOString();
const isoOrNull = (value: Date | string | null) => (value === null ? null : iso(value));

export function ticketJson(row: TicketView) {
  return {
    id: row.id,
    order_id: row.order_id,
    owner_id: row.owner_id,
    status: row.status,
    revoked_at: isoOrNull(row.revoked_at),
    issued_at: iso(row.issued_at),
    attendee_name: row.attendee_name,
    attendee_email: row.attendee_email,
    ticket_type: { id: row.ticket_type_id, name: row.ticket_type_name },
    event: {
      id: row.event_id,
      title: row.event_title,
      slug: row.event_slug,
      venue: row.event_venue,
      starts_at: iso(row.event_starts_at),
      ends_at: iso(row.event_ends_at),
    },
    checkin: {
      inside: row.inside,
      entries: row.entries,
      checked_in_at: isoOrNull(row.checked_in_at),
      last_entry_at: isoOrNull(row.last_entry_at),
      last_entry_gate: row.last_entry_gate,
      last_exit_at: isoOrNull(row.last_exit_at),
    },
    ...(row.code ? { code: row.code } : {}),
  };
}

export function syncJson(sync: ScannerSync) {
  const { event } = sync;
  return {
    ...sync,
    event: {
      ...event,
      starts_at: iso(event.starts_at),
      ends_at: iso(event.ends_at),
      admission_opens_at: iso(event.admission_opens_at),
    },
    tickets: sync.tickets.map((t) => ({
      ...t,
      checked_in_at: isoOrNull(t.checked_in_at),
      revoked_at: isoOrNull(t.revoked_at),
    })),
    revocations: sync.revocations.map((r) => ({ ...r, revoked_at: isoOrNull(r.revoked_at) })),
    server_time: iso(sync.server_time),
  };
}
