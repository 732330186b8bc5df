/**
 * The public catalog: the paginated event list and the event detail with live
 * availability, both read through the catalog cache.
 */
import type { z } from "zod";
import type { AuthUser } from "../../shared/auth.ts";
import type { Db, Sql } from "../../shared/db/mod.ts";
import { canActOnEvent, DOOR_ROLES } from "../../shared/event_access.ts";
import { cachedCatalog } from "./catalog_cache.ts";
import { eventNotFound } from "./event_service.ts";
import {
  eventColumns,
  type EventRow,
  ticketTypeColumns,
  type TicketTypeRow,
  toEvent,
  toPublicTicketType,
} from "./rows.ts";
import type { EventDetail, EventPage, ListQuery } from "./schemas.ts";
import { encodeCursor } from "./validators.ts";
import { isUuid } from "../../shared/uuid.ts";

export type EventPageJson = z.infer<typeof EventPage>;
export type EventDetailJson = z.infer<typeof EventDetail>;

type ListRow = EventRow & { price_from: number | null; cursor_at: string };

/** Escapes LIKE wildcards so a search for "100%" means the text, not a pattern. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

/**
 * One page of events in a stable (starts_at, id) order — ascending, or
 * descending for `past` — continuing strictly after the cursor, so rows
 * inserted between pages never shift what later pages return.
 */
export async function listEvents(sql: Sql, query: ListQuery): Promise<EventPageJson> {
  const key = JSON.stringify([
    query.when,
    query.from,
    query.to,
    query.q,
    query.status,
    query.limit,
    query.cursor?.at,
    query.cursor?.id,
  ]);
  return await cachedCatalog("list", key, () => loadPage(sql, query));
}

async function loadPage(sql: Sql, query: ListQuery): Promise<EventPageJson> {
  const desc = query.when === "past";
  const { cursor } = query;
  const pattern = query.q && likePattern(query.q);
  // ::text first: a parameter typed timestamptz goes through postgres.js's Date
  // serializer, which would cut the cursor's microseconds and repeat rows.
  const at = cursor && sql`(${cursor.at}::text::timestamptz, ${cursor.id}::uuid)`;
  const after = !at
    ? sql``
    : desc
    ? sql`and (e.starts_at, e.id) < ${at}`
    : sql`and (e.starts_at, e.id) > ${at}`;
  const rows = await sql<ListRow[]>`
    select ${eventColumns(sql)},
           (select min(t.price) from public.ticket_types t
             where t.event_id = e.id and t.is_active) as price_from,
           -- microsecond-exact, unlike a JS Date: the cursor must match the row exactly
           to_char(e.starts_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
      from public.events e
     where e.status = ${query.status ?? "published"}
       ${query.when === "upcoming" ? sql`and e.ends_at > now()` : sql``}
       ${query.when === "past" ? sql`and e.ends_at <= now()` : sql``}
       ${query.from ? sql`and e.starts_at >= ${query.from}::text::timestamptz` : sql``}
       ${query.to ? sql`and e.starts_at < ${query.to}::text::timestamptz` : sql``}
       ${pattern ? sql`and (e.title ilike ${pattern} or e.venue ilike ${pattern})` : sql``}
       ${after}
     order by ${desc ? sql`e.starts_at desc, e.id desc` : sql`e.starts_at, e.id`}
     limit ${query.limit + 1}`;
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({ ...toEvent(row), price_from: row.price_from })),
    next_cursor: rows.length > query.limit && last
      ? encodeCursor({ at: last.cursor_at, id: last.id })
      : null,
  };
}

/**
 * The event (by id or slug) with its active ticket types and their live
 * availability. Unpublished events exist only for admins and the event's
 * staff; everyone else gets 404, as for an unknown event.
 */
export async function getEventDetail(
  sql: Sql,
  ref: string,
  user: AuthUser | undefined,
): Promise<EventDetailJson> {
  const normalized = ref.toLowerCase();
  const detail = await cachedCatalog("detail", normalized, () => loadDetail(sql, normalized));
  const visible = detail && (detail.status === "published" ||
    (user && await canActOnEvent(sql, user, detail.id, DOOR_ROLES)));
  if (!detail || !visible) throw eventNotFound();
  return detail;
}

// null (not undefined) so that a miss is cached too, briefly: floods of 404s stay off the database.
async function loadDetail(sql: Sql, ref: string): Promise<EventDetailJson | null> {
  const [event] = await sql<EventRow[]>`
    select ${eventColumns(sql)} from public.events e
     where ${isUuid(ref) ? sql`e.id = ${ref}::uuid` : sql`e.slug = ${ref}`}`;
  if (!event) return null;
  const types = await activeTicketTypes(sql, event.id);
  return {
    ...toEvent(event),
    ticket_types: types,
    sold_out: types.length > 0 && types.every((t) => t.sold_out),
  };
}

async function activeTicketTypes(sql: Db, eventId: string) {
  const rows = await sql<TicketTypeRow[]>`
    select ${ticketTypeColumns(sql)}
      from public.ticket_types t join public.events e on e.id = t.event_id
     where t.event_id = ${eventId} and t.is_active
     order by t.sort_order, t.name, t.id`;
  return rows.map(toPublicTicketType);
}
