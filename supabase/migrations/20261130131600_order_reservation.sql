-- The reservation on the held counter (see the previous migration): named
-- arguments, the hold taken by one guarded UPDATE per ticket type, and the
-- order's lines returned so checkout does not read them again.
--
-- Call it with named arguments, e.g.
--   select public.reserve_tickets(p_buyer_id => $1, p_event_id => $2, p_items => $3,
--     p_idempotency_key => $4, p_request_hash => $5, p_hold_minutes => 15);
-- SQLSTATEs raised (reservation.ts maps them): CRP01 sold_out,
-- CRP02 max_per_order_exceeded, CRP03 user_limit_exceeded, CRP04 sales_not_open,
-- CRP05 sales_closed, CRP06 event_not_on_sale, CRP07 ticket_type_not_found,
-- CRP08 event_not_found, CRP09 idempotency_conflict.

-- What the API answers for an order: summary and lines (sorted as the event lists its types).
create function public.order_summary(p_order_id uuid, p_replayed boolean default false)
returns jsonb
language sql stable set search_path = '' as $$
  select jsonb_build_object('order_id', o.id, 'status', o.status, 'total', o.total,
    'currency', o.currency::text, 'expires_at', o.expires_at, 'checkout_url', o.checkout_url,
    'replayed', p_replayed,
    'items', (select coalesce(jsonb_agg(jsonb_build_object(
                'ticket_type_id', oi.ticket_type_id, 'name', t.name, 'quantity', oi.quantity,
                'unit_price', oi.unit_price) order by t.sort_order, t.name), '[]'::jsonb)
                from public.order_items oi join public.ticket_types t on t.id = oi.ticket_type_id
               where oi.order_id = o.id))
    from public.orders o where o.id = p_order_id
$$;

-- The order a buyer's idempotency key already created, or null; another body → CRP09.
create or replace function public.order_for_idempotency_key(
  p_buyer_id uuid, p_idempotency_key text, p_request_hash text
) returns jsonb
language plpgsql stable set search_path = '' as $$
declare
  v_order public.orders%rowtype;
begin
  select * into v_order from public.orders
   where buyer_id = p_buyer_id and idempotency_key = p_idempotency_key;
  if not found then
    return null;
  end if;
  if v_order.request_hash <> p_request_hash then
    raise exception using errcode = 'CRP09', message = 'idempotency_conflict',
      detail = jsonb_build_object('order_id', v_order.id)::text,
      hint = 'This Idempotency-Key was used with a different request';
  end if;
  return public.order_summary(v_order.id, true);
end;
$$;

-- Checks one requested line against its ticket type (not its room: take_hold
-- decides that under the row lock); returns the line's total.
create or replace function public.check_reservation_line(
  p_event_id uuid, p_ticket_type_id uuid, p_quantity integer
) returns integer
language plpgsql stable set search_path = '' as $$
declare
  v_type public.ticket_types%rowtype;
begin
  select * into v_type from public.ticket_types where id = p_ticket_type_id;
  if not found or v_type.event_id <> p_event_id or not v_type.is_active then
    raise exception using errcode = 'CRP07', message = 'ticket_type_not_found',
      detail = jsonb_build_object('ticket_type_id', p_ticket_type_id)::text,
      hint = 'No such ticket type for this event';
  end if;
  if v_type.sales_start_at is not null and v_type.sales_start_at > now() then
    raise exception using errcode = 'CRP04', message = 'sales_not_open',
      detail = jsonb_build_object('ticket_type_id', v_type.id,
                                  'sales_start_at', v_type.sales_start_at)::text,
      hint = 'Sales for this ticket type have not started';
  end if;
  if v_type.sales_end_at is not null and v_type.sales_end_at <= now() then
    raise exception using errcode = 'CRP05', message = 'sales_closed',
      detail = jsonb_build_object('ticket_type_id', v_type.id)::text,
      hint = 'Sales for this ticket type have ended';
  end if;
  if p_quantity > v_type.max_per_order then
    raise exception using errcode = 'CRP02', message = 'max_per_order_exceeded',
      detail = jsonb_build_object('ticket_type_id', v_type.id,
                                  'max_per_order', v_type.max_per_order)::text,
      hint = 'Too many tickets of this type in one order';
  end if;
  return v_type.price * p_quantity;
end;
$$;

-- Takes the holds of p_items ([{ticket_type_id, quantity}], distinct ids) in
-- ticket type id order (the one lock order of every function: no deadlock).
-- Raises CRP01 sold_out naming the first type without room; the caller's
-- transaction then rolls back every hold taken before it.
create function public.take_holds(p_items jsonb) returns void
language plpgsql set search_path = '' as $$
declare
  v_item record;
  v_available integer;
begin
  for v_item in
    select (e ->> 'ticket_type_id')::uuid as ticket_type_id, (e ->> 'quantity')::integer as quantity
      from jsonb_array_elements(p_items) e
     order by 1
  loop
    v_available := public.take_hold(v_item.ticket_type_id, v_item.quantity);
    if v_available is not null then
      raise exception using errcode = 'CRP01', message = 'sold_out',
        detail = jsonb_build_object('ticket_type_id', v_item.ticket_type_id,
                                    'available', v_available)::text,
        hint = 'Not enough tickets left';
    end if;
  end loop;
end;
$$;

drop function public.reserve_tickets(uuid, text, uuid, jsonb, jsonb, text, text, integer);

-- The transition "reserve" (→ pending): checks, the per-user cap, the holds,
-- the order, its audit row, in one transaction. Returns order_summary().
create function public.reserve_tickets(
  p_buyer_id uuid,
  p_event_id uuid,
  p_items jsonb,
  p_idempotency_key text,
  p_request_hash text,
  p_hold_minutes integer,
  p_buyer_email text default null,
  p_attendees jsonb default '[]'
) returns jsonb
-- Called as one autocommit statement, so the server commits as the function
-- returns and the type's row lock is never held across a round trip to the
-- client. A contended type fails fast (lock_timeout: 503 busy) instead of
-- queueing a flash sale's every request behind its row lock.
language plpgsql set search_path = '' set lock_timeout = '2s' as $$
declare
  v_event public.events%rowtype;
  v_existing jsonb;
  v_order_id uuid;
  v_expires_at timestamptz := now() + make_interval(mins => p_hold_minutes);
  v_item record;
  v_total integer := 0;
  v_requested integer := 0;
  v_owned integer;
  v_looks_full boolean;
  v_summary jsonb;
begin
  select * into v_event from public.events where id = p_event_id;
  if not found then
    raise exception using errcode = 'CRP08', message = 'event_not_found',
      detail = jsonb_build_object('event_id', p_event_id)::text, hint = 'No such event';
  end if;
  if v_event.status <> 'published' or v_event.ends_at <= now() then
    raise exception using errcode = 'CRP06', message = 'event_not_on_sale',
      detail = jsonb_build_object('event_id', p_event_id, 'status', v_event.status)::text,
      hint = 'This event is not on sale';
  end if;
  -- The buyer (per event) is locked first: it makes the per-user cap exact under
  -- concurrency and serialises replays of one Idempotency-Key. Ticket types come
  -- after it, in id order (take_holds).
  perform pg_advisory_xact_lock(hashtextextended(p_buyer_id::text || p_event_id::text, 0));
  v_existing := public.order_for_idempotency_key(p_buyer_id, p_idempotency_key, p_request_hash);
  if v_existing is not null then
    return v_existing;
  end if;
  for v_item in
    select (e ->> 'ticket_type_id')::uuid as ticket_type_id, (e ->> 'quantity')::integer as quantity
      from jsonb_array_elements(p_items) with ordinality as x (e, ord)
     order by x.ord
  loop
    v_total := v_total + public.check_reservation_line(p_event_id, v_item.ticket_type_id,
                                                        v_item.quantity);
    v_requested := v_requested + v_item.quantity;
  end loop;
  v_owned := public.tickets_owned_or_held(p_buyer_id, p_event_id);
  if v_owned + v_requested > v_event.max_tickets_per_user then
    raise exception using errcode = 'CRP03', message = 'user_limit_exceeded',
      detail = jsonb_build_object('max_tickets_per_user', v_event.max_tickets_per_user,
                                  'already_owned_or_held', v_owned, 'requested', v_requested)::text,
      hint = 'This would exceed the tickets one buyer may have for this event';
  end if;
  -- A type's row lock is the one thing every buyer of a sale waits for, so it is
  -- taken last and held only until commit: the order's rows are written first.
  -- A type that looks full (unlocked read) is tried first instead, so a sold-out
  -- refusal writes nothing.
  select coalesce(bool_or(t.held + t.sold + (e ->> 'quantity')::integer > t.capacity), false)
    into v_looks_full
    from jsonb_array_elements(p_items) e
    join public.ticket_types t on t.id = (e ->> 'ticket_type_id')::uuid;
  if v_looks_full then
    perform public.take_holds(p_items);
  end if;
  insert into public.orders (buyer_id, event_id, status, total, currency, expires_at, buyer_email,
                             idempotency_key, request_hash, attendees)
  values (p_buyer_id, p_event_id, 'pending', v_total, v_event.currency, v_expires_at,
          p_buyer_email, p_idempotency_key, p_request_hash, coalesce(p_attendees, '[]'::jsonb))
  returning id into v_order_id;
  insert into public.order_items (order_id, ticket_type_id, quantity, unit_price, held_until)
  select v_order_id, t.id, (e ->> 'quantity')::integer, t.price, v_expires_at
    from jsonb_array_elements(p_items) e
    join public.ticket_types t on t.id = (e ->> 'ticket_type_id')::uuid;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (p_buyer_id, 'order.reserved', 'order', v_order_id::text,
          jsonb_build_object('event_id', p_event_id, 'items', p_items, 'total', v_total));
  v_summary := public.order_summary(v_order_id);
  if not v_looks_full then
    perform public.take_holds(p_items);
  end if;
  return v_summary;
end;
$$;
comment on function public.reserve_tickets(uuid, uuid, jsonb, text, text, integer, text, jsonb) is
  'Transition reserve (→ pending): takes the holds and creates the order; raises CRP01..CRP09. '
  'Call with named arguments.';

revoke execute on function
  public.order_summary(uuid, boolean),
  public.take_holds(jsonb),
  public.reserve_tickets(uuid, uuid, jsonb, text, text, integer, text, jsonb)
  from public, anon, authenticated;
grant execute on function
  public.order_summary(uuid, boolean),
  public.take_holds(jsonb),
  public.reserve_tickets(uuid, uuid, jsonb, text, text, integer, text, jsonb)
  to service_role;
