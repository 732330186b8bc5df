/**
 * Event-scoped permissions: scanners and coordinators are staff of one event
 * (public.event_staff), checked per request; admins may act on every event.
 */
import type { AuthUser } from "./auth.ts";
import type { Db } from "./db.ts";
import { forbidden } from "./errors.ts";

export type StaffRole = "scanner" | "coordinator";

/** The user's staff role at the event, or undefined. */
export async function staffRoleAt(
  sql: Db,
  userId: string,
  eventId: string,
): Promise<StaffRole | undefined> {
  const [row] = await sql<{ role: StaffRole }[]>`
    select role from public.event_staff where event_id = ${eventId} and user_id = ${userId}`;
  return row?.role;
}

/** True for admins and for staff of the event holding one of `roles`. */
export async function canActOnEvent(
  sql: Db,
  user: AuthUser,
  eventId: string,
  roles: readonly StaffRole[],
): Promise<boolean> {
  if (user.isAdmin) return true;
  const role = await staffRoleAt(sql, user.id, eventId);
  return role !== undefined && roles.includes(role);
}

/** Throws 403 `forbidden` unless the user is admin or staff of the event in one of `roles`. */
export async function assertEventRole(
  sql: Db,
  user: AuthUser,
  eventId: string,
  roles: readonly StaffRole[],
): Promise<void> {
  if (!(await canActOnEvent(sql, user, eventId, roles))) throw forbidden();
}
