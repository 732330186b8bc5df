/**
 * The mails other domains queue, each inside the caller's transaction and
 * keyed by its cause, so a retried webhook or a replayed request never
 * queues a second copy. Each is one SQL statement that loads what the
 * template shows, so the mail reflects the state at the moment of the change;
 * the order mails are SQL functions the order transitions call themselves.
 */
import type { Db } from "../db/mod.ts";
import { log } from "../log.ts";

export interface QueueResult {
  id?: string;
  queued: boolean;
  /** Why nothing was queued (no recipient, no tickets); the caller's change still commits. */
  skipped?: string;
}

// The buyer's language: `locale` in their Supabase user metadata, Spanish by default.
const LOCALE_SQL =
  `case when u.raw_user_meta_data ->> 'locale' ilike 'en%' then 'en' else 'es' end`;

function logged(kind: string, orderId: string, result: QueueResult): QueueResult {
  if (result.skipped) {
    log.warn("email not queued", { kind, order_id: orderId, reason: result.skipped });
  }
  return result;
}

/**
 * Queues the paid order's confirmation with its valid tickets (SQL:
 * public.queue_order_confirmation, which pay_order calls itself).
 */
export async function queueOrderConfirmation(tx: Db, orderId: string): Promise<QueueResult> {
  const [{ result }] = await tx<{ result: QueueResult }[]>`
    select public.queue_order_confirmation(p_order_id => ${orderId}) as result`;
  return logged("order_confirmation", orderId, result);
}

/** Queues the refund notice of an order, its whole total (SQL: public.queue_refund_notice). */
export async function queueRefundNotice(tx: Db, orderId: string): Promise<QueueResult> {
  const [{ result }] = await tx<{ result: QueueResult }[]>`
    select public.queue_refund_notice(p_order_id => ${orderId}) as result`;
  return logged("refund_notice", orderId, result);
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
