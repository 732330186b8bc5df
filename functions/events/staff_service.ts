/** Door staff of an event: admins assign users as `scanner` or `coordinator`. */
import type { z } from "zod";
import { audit } from "../../shared/audit.ts";
import type { Db, Sql } from "../../shared/db/mod.ts";
import { withTx } from "../../shared/db/mod.ts";
import { DomainError } from "../../shared/errors.ts";
import type { StaffRole } from "../../shared/event_access.ts";
import { assertEventExists } from "./event_service.ts";
import type { StaffMember } from "./schemas.ts";

export type StaffMemberJson = z.infer<typeof StaffMember>;

interface StaffRow {
  event_id: string;
  user_id: string;
  role: StaffRole;
  email: string | null;
  display_name: string | null;
  created_at: Date;
}

const toStaffMember = (row: StaffRow): StaffMemberJson => ({
  ...row,
  created_at: row.created_at.toISOString(),
});

async function selectStaff(sql: Db, eventId: string, userId?: string): Promise<StaffRow[]> {
  return await sql<StaffRow[]>`
    select s.event_id, s.user_id, s.role, p.email, p.display_name, s.created_at
      from public.event_staff s left join public.profiles p on p.id = s.user_id
     where s.event_id = ${eventId} ${userId ? sql`and s.user_id = ${userId}` : sql``}
     order by s.role, s.created_at, s.user_id`;
}

/** The event's staff with their profile's email and name. */
export async function listStaff(sql: Sql, eventId: string): Promise<StaffMemberJson[]> {
  await assertEventExists(sql, eventId);
  return (await selectStaff(sql, eventId)).map(toStaffMember);
}

/**
 * Makes the user staff of the event with `role` (changing the role if they
 * already are); `created` tells a new assignment from a role change.
 */
export async function assignStaff(
  sql: Sql,
  actorId: string,
  eventId: string,
  userId: string,
  role: StaffRole,
): Promise<{ member: StaffMemberJson; created: boolean }> {
  return await withTx(sql, async (tx) => {
    await assertEventExists(tx, eventId);
    const [user] = await tx`select 1 from auth.users where id = ${userId}`;
    if (!user) throw new DomainError("user_not_found", "No such user");
    // The primary key (event_id, user_id) makes this an atomic upsert; xmax = 0 marks an insert.
    const [row] = await tx<{ created: boolean }[]>`
      insert into public.event_staff (event_id, user_id, role, created_by)
      values (${eventId}, ${userId}, ${role}, ${actorId})
      on conflict (event_id, user_id) do update set role = excluded.role
      returning (xmax = 0) as created`;
    await audit(tx, {
      actorId,
      action: "event_staff.assigned",
      entity: "event_staff",
      entityId: `${eventId}:${userId}`,
      data: { event_id: eventId, user_id: userId, role, created: row.created },
    });
    const [member] = await selectStaff(tx, eventId, userId);
    return { member: toStaffMember(member), created: row.created };
  });
}

/** Removes the user from the event's staff; 404 `staff_not_found` when they are not staff. */
export async function removeStaff(
  sql: Sql,
  actorId: string,
  eventId: string,
  userId: string,
): Promise<void> {
  await withTx(sql, async (tx) => {
    await assertEventExists(tx, eventId);
    const [removed] = await tx<{ role: StaffRole }[]>`
      delete from public.event_staff where event_id = ${eventId} and user_id = ${userId}
      returning role`;
    if (!removed) throw new DomainError("staff_not_found", "The user is not staff of this event");
    await audit(tx, {
      actorId,
      action: "event_staff.removed",
      entity: "event_staff",
      entityId: `${eventId}:${userId}`,
      data: { event_id: eventId, user_id: userId, role: removed.role },
    });
  });
}
