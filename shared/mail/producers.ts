/**
 * The mails other domains queue, each inside the caller's transaction and
 * keyed by its cause, so a retried webhook or a replayed request never
 * queues a second copy. They load what the template shows with SQL, so the
 * mail reflects the state at the moment of the change.
 */
import type { Db } from "../db.ts";
import { log } from "../log.ts";
import { enqueueEmail, type Locale } from "./outbox.ts";

export interface QueueResult {
  id?: string;
  queued: boolean;
  /** Why nothing was queued (no recipient, no tickets); the caller's change still commits. */
  skipped?: string;
}

interface OrderRow {
  id: string;
  total: number;
  currency: string;
  email: string | null;
  buyer_name: string | null;
  locale: Locale;
  event_id: string;
  title: string;
  venue: string;
  starts_at: Date;
  time_zone: string;
}

// The buyer's language: `locale` in their Supabase user metadata, Spanish by default.
const LOCALE_SQL =
  `case when u.raw_user_meta_data ->> 'locale' ilike 'en%' then 'en' else 'es' end`;

async function loadOrder(tx: Db, orderId: string): Promise<OrderRow | undefined> {
  const [row] = await tx.unsafe<OrderRow[]>(
    `select o.id, o.total, o.currency, coalesce(o.buyer_email, u.email) as email,
            coalesce(p.display_name, u.raw_user_meta_data ->> 'display_name') as buyer_name,
            ${LOCALE_SQL} as locale, e.id as event_id, e.title, e.venue, e.starts_at, e.time_zone
       from public.orders o
       join public.events e on e.id = o.event_id
       join auth.users u on u.id = o.buyer_id
       left join public.profiles p on p.id = o.buyer_id
      where o.id = $1`,
    [orderId],
  );
  return row;
}

function eventSummary(order: OrderRow) {
  return {
    id: order.event_id,
    title: order.title,
    venue: order.venue,
    starts_at: order.starts_at.toISOString(),
    time_zone: order.time_zone,
  };
}

function skip(kind: string, orderId: string, reason: string): QueueResult {
  log.warn("email not queued", { kind, order_id: orderId, reason });
  return { queued: false, skipped: reason };
}

/** Queues the paid order's confirmation with its valid tickets; call after issuing them. */
export async function queueOrderConfirmation(tx: Db, orderId: string): Promise<QueueResult> {
  const order = await loadOrder(tx, orderId);
  if (!order) return skip("order_confirmation", orderId, "order not found");
  if (!order.email) return skip("order_confirmation", orderId, "buyer has no email");
  const tickets = await tx<
    { id: string; event_id: string; type_name: string; attendee_name: string | null }[]
  >`
    select t.id, t.event_id, tt.name as type_name, t.attendee_name
      from public.tickets t join public.ticket_types tt on tt.id = t.ticket_type_id
     where t.order_id = ${orderId} and t.status = 'valid'
     order by tt.sort_order, t.issued_at, t.id`;
  if (tickets.length === 0) return skip("order_confirmation", orderId, "order has no tickets");
  return await enqueueEmail(tx, {
    to: order.email,
    template: "order_confirmation",
    locale: order.locale,
    dedupeKey: `order_confirmation:${orderId}`,
    data: {
      order_id: order.id,
      buyer_name: order.buyer_name,
      event: eventSummary(order),
      total: order.total,
      currency: order.currency,
      tickets: tickets.map((t) => ({ ...t })),
    },
  });
}

/** Queues the refund notice of an order (the whole total); call where the refund is recorded. */
export async function queueRefundNotice(tx: Db, orderId: string): Promise<QueueResult> {
  const order = await loadOrder(tx, orderId);
  if (!order) return skip("refund_notice", orderId, "order not found");
  if (!order.email) return skip("refund_notice", orderId, "buyer has no email");
  return await enqueueEmail(tx, {
    to: order.email,
    template: "refund_notice",
    locale: order.locale,
    dedupeKey: `refund_notice:${orderId}`,
    data: {
      order_id: order.id,
      buyer_name: order.buyer_name,
      event: eventSummary(order),
      amount: order.total,
      currency: order.currency,
    },
  });
}

/**
 * Queues one cancellation notice per ticket holder of the event, in one
 * statement (an event may have thousands). Counts tickets still valid or
 * revoked in this same transaction (revoked_at >= now()), so it may run
 * before or after the caller revokes them. Returns how many were queued.
 */
export async function queueEventCancelledNotices(tx: Db, eventId: string): Promise<number> {
  const rows = await tx.unsafe(
    `with holders as (
       select t.owner_id, count(*)::int as ticket_count
         from public.tickets t
        where t.event_id = $1 and (t.status = 'valid' or t.revoked_at >= now())
        group by t.owner_id)
     insert into public.email_outbox (recipient, template, locale, dedupe_key, data)
     select coalesce((select o.buyer_email from public.orders o
                       where o.buyer_id = h.owner_id and o.event_id = e.id
                         and o.buyer_email is not null
                       order by o.created_at desc limit 1), u.email),
            'event_cancelled', ${LOCALE_SQL},
            'event_cancelled:' || e.id || ':' || h.owner_id,
            jsonb_build_object(
              'holder_name', coalesce(p.display_name, u.raw_user_meta_data ->> 'display_name'),
              'ticket_count', h.ticket_count,
              'event', jsonb_build_object(
                'id', e.id, 'title', e.title, 'venue', e.venue, 'time_zone', e.time_zone,
                'starts_at', to_char(e.starts_at at time zone 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
       from holders h
       join public.events e on e.id = $1
       join auth.users u on u.id = h.owner_id
       left join public.profiles p on p.id = h.owner_id
      where u.email is not null
     on conflict (dedupe_key) do nothing
     returning id`,
    [eventId],
  );
  return rows.count;
}
