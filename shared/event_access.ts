/**
 * Event-scoped permissions: scanners and coordinators are staff of one event
 * (public.event_staff), checked per request; admins may act on every event.
 * This file is the one place that rule is written: every check — in
 * TypeScript or inside a larger SQL statement — goes through `mayActAt`.
 */
import type postgres from "postgres";
import type { AuthUser } from "./auth.ts";
import type { Db } from "./db/mod.ts";
import { DomainError, forbidden } from "./errors.ts";

export type StaffRole = "scanner" | "coordinator";

/** Who may work an event's door: scan, upload offline batches, sync, see its tickets. */
export const DOOR_ROLES: readonly StaffRole[] = ["scanner", "coordinator"];
/** Who may change an event (besides admins). */
export const ORGANIZER_ROLES: readonly StaffRole[] = ["coordinator"];

type Fragment = postgres.Fragment;

/**
 * The rule as a SQL boolean: the user is an admin, or staff of the event
 * (`eventId`: a value or a column reference) in one of `roles`.
 */
export function mayActAt(
  sql: Db,
  user: AuthUser,
  eventId: string | Fragment,
  roles: readonly StaffRole[],
): Fragment {
  const event = typeof eventId === "string" ? sql`${eventId}::uuid` : eventId;
  return sql`(${user.isAdmin}::boolean or exists (
    select 1 from public.event_staff s
     where s.event_id = ${event} and s.user_id = ${user.id}::uuid
       and s.role::text = any(${roles as StaffRole[]}::text[])))`;
}

/** True for admins and for staff of the event holding one of `roles`. */
export async function canActOnEvent(
  sql: Db,
  user: AuthUser,
  eventId: string,
  roles: readonly StaffRole[],
): Promise<boolean> {
  if (user.isAdmin) return true;
  const [{ allowed }] = await sql<{ allowed: boolean }[]>`
    select ${mayActAt(sql, user, eventId, roles)} as allowed`;
  return allowed;
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

export interface DoorEvent {
  id: string;
  title: string;
  status: string;
  starts_at: Date;
  ends_at: Date;
  admission_opens_at: Date;
}

/**
 * The event a caller works the door of: admins for any event (404 if it does
 * not exist), scanners and coordinators only for their own event (else 403,
 * whether or not it exists, so staff cannot probe for events).
 */
export async function doorEventFor(sql: Db, user: AuthUser, eventId: string): Promise<DoorEvent> {
  const [row] = await sql<(DoorEvent & { allowed: boolean; found: boolean })[]>`
    select ${mayActAt(sql, user, sql`p.id`, DOOR_ROLES)} as allowed, e.id is not null as found,
           e.id, e.title, e.status, e.starts_at, e.ends_at,
           public.admission_opens_at(e.starts_at) as admission_opens_at
      from (select ${eventId}::uuid as id) p left join public.events e on e.id = p.id`;
  if (!row.allowed) throw forbidden();
  if (!row.found) throw new DomainError("event_not_found", "No such event");
  const { allowed: _allowed, found: _found, ...event } = row;
  return event;
}
