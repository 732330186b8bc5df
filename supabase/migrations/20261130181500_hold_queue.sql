-- A flash sale's holds queue for the ticket type, and take it last (issue 15, item 4).
--
-- Measured with pgbench at 64 clients on one ticket type, steady state, against the
-- hot-row ceiling (the guarded counter UPDATE plus one insert) in the same run:
--   * before: 240-250 holds/s against 540-610 (0.41x);
--   * the order's rows written before the hold, not after: the type's row lock
--     is held for the UPDATE and the commit only, not for four inserts;
--   * the holds of a type queue on a transaction advisory lock before its
--     UPDATE: 448 holds/s against 492 (0.91x).
--   * the reservation's commit no longer waits for its WAL to reach the disk
--     (synchronous_commit off for that transaction only): 388 -> 540 holds/s
--     against 513.
-- Why the queue: 64 transactions waiting on one row lock all wake at every
-- commit, chase the row's newest version and queue again (about 80 context
-- switches per hold on this 2-core machine, measured with vmstat). Waiters on
-- an advisory lock are granted one at a time, in order.
-- Why the commit may skip the fsync: until it is flushed the type's lock would
-- be held through the disk's latency, for every hold in turn. A hold is a
-- 15-minute lease, and nobody is told about it before it is durable: the API
-- answers 201 only after the checkout URL is stored, an ordinary synchronous
-- commit, which flushes the WAL up to and including the reservation's commit
-- (WAL is flushed in order). A crash in between loses a hold whose buyer got an
-- error, never one whose buyer got a 201.

-- ---------------------------------------------------------------- the foreign key
-- A buyer's order_items row checks its ticket type with a KEY SHARE row lock.
-- Taken while another buyer holds that row for its counter UPDATE, those locks
-- pile up as multixacts on the sale's one hot row (measured: 14 holds/s). The
-- check now runs at commit, after this transaction's own UPDATE has locked the
-- row, where it costs nothing. It is as strict as before.
alter table public.order_items
  alter constraint order_items_ticket_type_id_fkey deferrable initially deferred;

-- ---------------------------------------------------------------- the buyer's orders
-- Every per-buyer lookup a reservation makes (the per-user cap, the unpaid-hold
-- limit, the waiting room's one live hold) is by buyer and event. With an index
-- on the buyer alone, a planner that does not yet know the sale's event is big
-- (a new event, or stats from before the sale) combined it with
-- orders_event_idx in a BitmapAnd that reads every order of the event, for
-- every buyer: the sale slowed as it sold. Buyer and event in one index leave
-- nothing to combine. (A buyer's own order list still leads with buyer_id.)
drop index public.orders_buyer_idx;
create index orders_buyer_event_idx on public.orders (buyer_id, event_id, created_at desc);

-- ---------------------------------------------------------------- sold out
create function public.raise_sold_out(p_ticket_type_id uuid, p_available integer)
returns void
language plpgsql set search_path = '' as $$
begin
  raise exception using errcode = 'CRP01', message = 'sold_out',
    detail = jsonb_build_object('ticket_type_id', p_ticket_type_id,
                                'available', greatest(p_available, 0))::text,
    hint = 'Not enough tickets left';
end;
$$;

-- Refuses p_items (sold_out, naming the first type in id order) when a type's
-- last committed state has no room and no expired hold to release: most
-- requests of a sold-out sale end here, before writing or locking anything. A
-- true answer as of that state; take_holds decides the rest under the lock.
create function public.check_room(p_items jsonb) returns void
language plpgsql stable set search_path = '' as $$
declare
  v_item record;
begin
  for v_item in
    select t.id, t.capacity - t.sold - t.held as available, (e ->> 'quantity')::integer as quantity
      from jsonb_array_elements(p_items) e
      join public.ticket_types t on t.id = (e ->> 'ticket_type_id')::uuid
     order by t.id
  loop
    if v_item.available < v_item.quantity and not exists (
         select 1 from public.order_items
          where ticket_type_id = v_item.id and held_until <= now()) then
      perform public.raise_sold_out(v_item.id, v_item.available);
    end if;
  end loop;
end;
$$;

-- Takes p_quantity tickets of a type onto its counter: the guarded UPDATE is
-- the whole capacity check. Holds of one type queue first on a transaction
-- advisory lock (class 1769, the type's hash; a collision only makes two types
-- share a queue), so one waiter at a time contends for the row. With no room,
-- the type's expired holds are released and the UPDATE tried once more.
-- Returns the tickets still available when there is no room, or null.
create or replace function public.take_hold(p_ticket_type_id uuid, p_quantity integer)
returns integer
language plpgsql set search_path = '' as $$
declare
  v_available integer;
begin
  perform pg_advisory_xact_lock(1769, hashtext(p_ticket_type_id::text));
  for v_attempt in 1..2 loop
    update public.ticket_types set held = held + p_quantity
     where id = p_ticket_type_id and held + sold + p_quantity <= capacity;
    if found then
      return null;
    end if;
    exit when v_attempt = 2 or public.release_expired_holds(p_ticket_type_id) = 0;
  end loop;
  select greatest(capacity - sold - held, 0) into v_available
    from public.ticket_types where id = p_ticket_type_id;
  return v_available;
end;
$$;

-- Takes the holds of p_items ([{ticket_type_id, quantity}], distinct ids) in
-- ticket type id order (the one lock order of every function: no deadlock).
-- Raises CRP01 sold_out naming the first type without room; the caller's
-- transaction then rolls back every hold taken before it.
create or replace function public.take_holds(p_items jsonb) returns void
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
      perform public.raise_sold_out(v_item.ticket_type_id, v_available);
    end if;
  end loop;
end;
$$;

-- ---------------------------------------------------------------- cached plans
-- SQL functions that cannot be inlined (these set search_path) are parsed and
-- planned again at every call; PL/pgSQL keeps its plans for the session. These
-- three run on every reservation: as PL/pgSQL one call took 1.2 ms, not 1.9.
-- (tickets_owned_or_held's cached plan is safe with orders_buyer_event_idx
-- above; without it, it could be the BitmapAnd described there.)
create or replace function public.order_summary(p_order_id uuid, p_replayed boolean default false)
returns jsonb
language plpgsql stable set search_path = '' as $$
begin
  return (
    select jsonb_build_object('order_id', o.id, 'status', o.status, 'total', o.total,
      'currency', o.currency::text, 'expires_at', o.expires_at, 'checkout_url', o.checkout_url,
      'slow_payment_deadline', o.slow_payment_deadline,
      'replayed', p_replayed,
      'items', (select coalesce(jsonb_agg(jsonb_build_object(
                  'ticket_type_id', oi.ticket_type_id, 'name', t.name, 'quantity', oi.quantity,
                  'unit_price', oi.unit_price) order by t.sort_order, t.name), '[]'::jsonb)
                  from public.order_items oi join public.ticket_types t on t.id = oi.ticket_type_id
                 where oi.order_id = o.id))
      from public.orders o where o.id = p_order_id);
end;
$$;

create or replace function public.tickets_owned_or_held(p_buyer_id uuid, p_event_id uuid)
returns integer
language plpgsql stable set search_path = '' as $$
begin
  return (select count(*) from public.tickets t
           where t.owner_id = p_buyer_id and t.event_id = p_event_id and t.status = 'valid')::integer
       + (select coalesce(sum(oi.quantity), 0) from public.order_items oi
            join public.orders o on o.id = oi.order_id
           where o.buyer_id = p_buyer_id and o.event_id = p_event_id
             and oi.held_until > now())::integer;
end;
$$;

create or replace function public.slow_payment_deadline(p_event_id uuid, p_at timestamptz)
returns timestamptz
language plpgsql stable set search_path = '' as $$
begin
  return (
    select d.deadline
      from public.events e
     cross join lateral (
       select least(p_at + make_interval(days => e.slow_payment_days),
                    e.starts_at - public.slow_payment_credit_margin()) as deadline) d
     where e.id = p_event_id and e.slow_payments = 'hold'
       and d.deadline >= p_at + interval '1 day');
end;
$$;

-- ---------------------------------------------------------------- reserve
-- The transition "reserve" (→ pending): checks, the per-user cap, the order,
-- its audit row and then the holds, in one transaction. Returns order_summary().
create or replace function public.reserve_tickets(
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
  -- last, in id order (take_holds).
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
  perform public.check_room(p_items);
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
  -- This commit does not wait for the disk (see the header): the type's lock is
  -- handed to the next buyer without an fsync in between.
  perform set_config('synchronous_commit', 'off', true);
  -- The holds last: from here to the commit is all the type's row lock covers.
  perform public.take_holds(p_items);
  return v_summary;
end;
$$;

revoke execute on function
  public.raise_sold_out(uuid, integer),
  public.check_room(jsonb)
  from public, anon, authenticated;
grant execute on function
  public.raise_sold_out(uuid, integer),
  public.check_room(jsonb)
  to service_role;
