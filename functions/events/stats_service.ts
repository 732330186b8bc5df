/**
 * Sales and door figures of one event, computed from the real tables on every
 * call (never cached: coordinators watch them live).
 */
import type { z } from "zod";
import type { Sql } from "../../shared/db/mod.ts";
import { eventNotFound } from "./event_service.ts";
import type { EventStats } from "./schemas.ts";

export type EventStatsJson = z.infer<typeof EventStats>;
type TypeStatsJson = EventStatsJson["ticket_types"][number];

interface TypeStatsRow {
  ticket_type_id: string;
  name: string;
  is_active: boolean;
  price: number;
  capacity: number;
  sold: number;
  held: number;
  revenue: string; // bigint arrives as text
}

/** Shape of public.event_checkin_stats(), owned by the tickets domain. */
interface CheckinStats {
  checked_in_by_type?: Record<string, number>;
  inside_by_type?: Record<string, number>;
  by_gate?: Record<string, number>;
  offline_conflicts?: number;
}

/** Per ticket type capacity, sold, held, revenue of paid orders and check-ins, with totals. */
export async function getEventStats(sql: Sql, eventId: string): Promise<EventStatsJson> {
  const [event] = await sql<{ currency: string; checkins: CheckinStats }[]>`
    select e.currency, public.event_checkin_stats(e.id) as checkins
      from public.events e where e.id = ${eventId}`;
  if (!event) throw eventNotFound();
  const rows = await sql<TypeStatsRow[]>`
    select t.id as ticket_type_id, t.name, t.is_active, t.price, t.capacity, t.sold,
           public.ticket_type_held(t.id) as held,
           -- bigint: quantity × unit price summed over many orders can pass 2^31
           coalesce((select sum(oi.quantity::bigint * oi.unit_price)
                       from public.order_items oi join public.orders o on o.id = oi.order_id
                      where oi.ticket_type_id = t.id and o.status = 'paid'), 0)::bigint as revenue
      from public.ticket_types t
     where t.event_id = ${eventId}
     order by t.sort_order, t.name, t.id`;
  const checkedIn = event.checkins?.checked_in_by_type ?? {};
  const inside = event.checkins?.inside_by_type ?? {};
  const types: TypeStatsJson[] = rows.map((row) => ({
    ...row,
    revenue: Number(row.revenue),
    available: Math.max(0, row.capacity - row.sold - row.held),
    checked_in: Number(checkedIn[row.ticket_type_id] ?? 0),
    inside: Number(inside[row.ticket_type_id] ?? 0),
  }));
  const sum = (pick: (t: TypeStatsJson) => number) => types.reduce((n, t) => n + pick(t), 0);
  return {
    event_id: eventId,
    currency: event.currency,
    ticket_types: types,
    totals: {
      capacity: sum((t) => t.capacity),
      sold: sum((t) => t.sold),
      held: sum((t) => t.held),
      available: sum((t) => t.available),
      revenue: sum((t) => t.revenue),
      checked_in: sum((t) => t.checked_in),
      inside: sum((t) => t.inside),
    },
    by_gate: event.checkins?.by_gate ?? {},
    offline_conflicts: Number(event.checkins?.offline_conflicts ?? 0),
    generated_at: new Date().toISOString(),
  };
}
