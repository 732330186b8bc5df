/** Who may see a ticket, and which events a caller may scan for. */
import type { AuthUser } from "../../shared/auth.ts";
import type { Db } from "../../shared/db.ts";
import { DomainError, forbidden } from "../../shared/errors.ts";
import { staffRoleAt } from "../../shared/event_access.ts";

export const DOOR_ROLES = ["scanner", "coordinator"] as const;

export interface DoorEvent {
  id: string;
  title: string;
  status: string;
  starts_at: Date;
  ends_at: Date;
  admission_opens_at: Date;
}

/**
 * The event a caller scans or syncs for: admins for any event (404 if it does
 * not exist), scanners and coordinators only for their own event (else 403).
 */
export async function doorEventFor(sql: Db, user: AuthUser, eventId: string): Promise<DoorEvent> {
  if (!user.isAdmin) {
    const role = await staffRoleAt(sql, user.id, eventId);
    if (!role || !(DOOR_ROLES as readonly string[]).includes(role)) throw forbidden();
  }
  const [event] = await sql<DoorEvent[]>`
    select id, title, status, starts_at, ends_at,
           public.admission_opens_at(starts_at) as admission_opens_at
      from public.events where id = ${eventId}`;
  if (!event) throw new DomainError("event_not_found", "No such event");
  return event;
}
