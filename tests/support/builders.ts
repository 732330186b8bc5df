/** Builders for rows tests need: users with roles, events, staff assignments. */
import type { Db } from "../../shared/db/mod.ts";
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

/** Many users at once (one statement per table), for load tests. */
export async function makeUsers(sql: Db, count: number, roles: AppRole[] = ["user"]) {
  const tag = unique();
  const users = Array.from({ length: count }, (_, i) => ({
    id: crypto.randomUUID(),
    email: `user-${tag}-${i}@test.crodify.local`,
    roles: ["user", ...roles.filter((r) => r !== "user")] as AppRole[],
  }));
  await sql`insert into auth.users ${
    sql(
      users.map((u) => ({ id: u.id, email: u.email, aud: "authenticated", role: "authenticated" })),
    )
  }`;
  await sql`insert into public.user_roles ${
    sql(users.flatMap((u) => u.roles.map((role) => ({ user_id: u.id, role }))))
  }`;
  return users as TestUser[];
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

export interface TicketTypeRow {
  id: string;
  event_id: string;
  name: string;
  price: number;
  capacity: number;
  sold: number;
  max_per_order: number;
  is_active: boolean;
  allow_reentry: boolean;
}

export interface TicketTypeOverrides {
  name?: string;
  price?: number;
  capacity?: number;
  maxPerOrder?: number;
  isActive?: boolean;
  allowReentry?: boolean;
  sortOrder?: number;
  /** Hours from now; negative for the past. */
  salesStartInHours?: number;
  salesEndInHours?: number;
}

/** A ticket type of `eventId`; every column the domains' tests vary can be overridden. */
export async function makeTicketType(
  sql: Db,
  eventId: string,
  overrides: TicketTypeOverrides = {},
): Promise<TicketTypeRow> {
  const hours = (h: number | undefined) =>
    h === undefined ? null : new Date(Date.now() + h * 3600_000);
  const [row] = await sql<TicketTypeRow[]>`
    insert into public.ticket_types (event_id, name, price, capacity, max_per_order, is_active,
                                     allow_reentry, sort_order, sales_start_at, sales_end_at)
    values (${eventId}, ${overrides.name ?? `Type ${unique()}`}, ${overrides.price ?? 10_000},
            ${overrides.capacity ?? 100}, ${overrides.maxPerOrder ?? 10},
            ${overrides.isActive ?? true}, ${overrides.allowReentry ?? false},
            ${overrides.sortOrder ?? 0}, ${hours(overrides.salesStartInHours)},
            ${hours(overrides.salesEndInHours)})
    returning id, event_id, name, price, capacity, sold, max_per_order, is_active, allow_reentry`;
  return row;
}

export interface OrderSpec {
  event: Pick<EventRow, "id">;
  ticketType: Pick<TicketTypeRow, "id" | "price">;
  buyer: Pick<TestUser, "id">;
  quantity?: number;
  /** Default paid; other statuses leave the tickets as a refund or cancellation would find them. */
  status?: "paid" | "pending" | "refunded" | "cancelled";
  /** Default: unless pending. Door tests also want tickets of unpaid orders. */
  issueTickets?: boolean;
  /** How long a pending order holds its seats; negative for an already expired hold. */
  holdMinutes?: number;
  buyerEmail?: string;
  attendeeName?: string | null;
  attendeeEmail?: string | null;
}

export interface OrderWithTickets {
  orderId: string;
  ticketIds: string[];
}

/**
 * An order with its line and (unless pending) its tickets, as the purchase
 * flow leaves them: issuing raises `sold` so capacity accounting stays
 * truthful; a pending order holds its seats for `holdMinutes`.
 */
export async function makeOrderWithTickets(sql: Db, spec: OrderSpec): Promise<OrderWithTickets> {
  const quantity = spec.quantity ?? 1;
  const status = spec.status ?? "paid";
  const pending = status === "pending";
  const expiresAt = sql`now() + make_interval(mins => ${spec.holdMinutes ?? 15})`;
  const [order] = await sql<{ id: string }[]>`
    insert into public.orders (buyer_id, event_id, status, total, currency, expires_at,
                               buyer_email, idempotency_key, request_hash, paid_at)
    values (${spec.buyer.id}, ${spec.event.id}, ${status}, ${spec.ticketType.price * quantity},
            'ARS', ${expiresAt}, ${spec.buyerEmail ?? null},
            ${crypto.randomUUID()}, 'test', ${status === "paid" ? sql`now()` : null})
    returning id`;
  await sql`
    insert into public.order_items (order_id, ticket_type_id, quantity, unit_price, held_until)
    values (${order.id}, ${spec.ticketType.id}, ${quantity}, ${spec.ticketType.price},
            ${pending ? expiresAt : null})`;
  // A pending order's hold is counted, as reserve_tickets counts it.
  if (pending) {
    await sql`update public.ticket_types set held = held + ${quantity}
               where id = ${spec.ticketType.id}`;
  }
  if (!(spec.issueTickets ?? !pending)) return { orderId: order.id, ticketIds: [] };
  await sql`update public.ticket_types set sold = sold + ${quantity}
             where id = ${spec.ticketType.id}`;
  const tickets = await sql<{ id: string }[]>`
    insert into public.tickets (order_id, event_id, ticket_type_id, owner_id, attendee_name,
                                attendee_email)
    select ${order.id}, ${spec.event.id}, ${spec.ticketType.id}, ${spec.buyer.id},
           ${spec.attendeeName ?? null}, ${spec.attendeeEmail ?? null}
      from generate_series(1, ${quantity}::int)
    returning id`;
  return { orderId: order.id, ticketIds: tickets.map((t) => t.id) };
}
