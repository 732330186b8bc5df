/** Builders for rows tests need: users with roles, events, staff assignments. */
import type { Db } from "../../shared/db.ts";
import type { AppRole } from "../../shared/auth.ts";

export interface TestUser {
  id: string;
  email: string;
  roles: AppRole[];
}

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(++counter).toString(36)}`;

export async function makeUser(sql: Db, roles: AppRole[] = ["user"]): Promise<TestUser> {
  const id = crypto.randomUUID();
  const email = `user-${unique()}@test.crodify.local`;
  await sql`insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data)
            values (${id}, 'authenticated', 'authenticated', ${email}, '{}', '{}')`;
  const allRoles = [...new Set<AppRole>(["user", ...roles])];
  for (const role of allRoles) {
    await sql`insert into public.user_roles (user_id, role) values (${id}, ${role})`;
  }
  return { id, email, roles: allRoles };
}

export interface EventRow {
  id: string;
  slug: string;
  title: string;
  status: string;
  starts_at: Date;
  ends_at: Date;
  max_tickets_per_user: number;
  currency: string;
}

export interface EventOverrides {
  title?: string;
  slug?: string;
  status?: "draft" | "published" | "cancelled" | "finished";
  startsInHours?: number;
  durationHours?: number;
  maxTicketsPerUser?: number;
  venue?: string;
  currency?: string;
}

export async function makeEvent(sql: Db, overrides: EventOverrides = {}): Promise<EventRow> {
  const slug = overrides.slug ?? `event-${unique()}`;
  const startsInHours = overrides.startsInHours ?? 24 * 7;
  const durationHours = overrides.durationHours ?? 4;
  const [event] = await sql<EventRow[]>`
    insert into public.events (slug, title, venue, starts_at, ends_at, status,
                               max_tickets_per_user, currency)
    values (${slug}, ${overrides.title ?? `Test event ${slug}`}, ${overrides.venue ?? "Test venue"},
            now() + make_interval(hours => ${startsInHours}),
            now() + make_interval(hours => ${startsInHours + durationHours}),
            ${overrides.status ?? "published"}, ${overrides.maxTicketsPerUser ?? 10},
            ${overrides.currency ?? "ARS"})
    returning id, slug, title, status, starts_at, ends_at, max_tickets_per_user, currency`;
  return event;
}

export async function assignStaff(
  sql: Db,
  eventId: string,
  userId: string,
  role: "scanner" | "coordinator",
): Promise<void> {
  await sql`insert into public.event_staff (event_id, user_id, role)
            values (${eventId}, ${userId}, ${role})
            on conflict (event_id, user_id) do update set role = excluded.role`;
}
