-- Availability in O(1): ticket_types.held counts the tickets held by pending
-- orders, so a reservation costs one guarded counter UPDATE instead of a SUM
-- over every live hold of its type (which made a flash sale slower with every
-- seat sold).
--
-- Row locks on ticket_types are always FOR NO KEY UPDATE (what an UPDATE of
-- held or sold takes), never FOR UPDATE: a reservation's order_items insert
-- holds FOR KEY SHARE on its type (the foreign key) while it waits for the
-- counter, and FOR UPDATE would deadlock against it.
--
-- Hold accounting from here on: a hold is an order_items row with held_until
-- not null, and ticket_types.held is the sum of those rows' quantities — the
-- holds *counted*. A hold past held_until still counts until it is released:
-- by a reservation that finds no room (release_expired_holds, bounded, on this
-- type only, then one retry), by a payment of its order, or by the sweep
-- (expire_order). So an expired hold never blocks a sale, and the capacity
-- rule is a plain CHECK: held + sold <= capacity.
-- ticket_type_hold_drift() is the consistency check (tests, admins).

-- ---------------------------------------------------------------- the counter
alter table public.ticket_types add column held integer not null default 0;
-- Every counted hold of the old schema moves into the counter, expired ones
-- too (held_until is not null): the sweep or the next reservation releases
-- them, exactly as for holds taken from now on.
update public.ticket_types t
   set held = h.quantity
  from (select ticket_type_id, sum(quantity)::integer as quantity
          from public.order_items where held_until is not null
         group by ticket_type_id) h
 where h.ticket_type_id = t.id;
alter table public.ticket_types
  add constraint ticket_types_held_not_negative check (held >= 0),
  -- Named with "capacity": the events service maps it to capacity_below_sold.
  add constraint ticket_types_capacity_covers_held check (held + sold <= capacity);
comment on column public.ticket_types.held is
  'Tickets held by pending orders: the sum of order_items.quantity where held_until is not null. '
  'Maintained only by the order functions; ticket_type_hold_drift() checks it.';
comment on column public.ticket_types.sold is 'Paid tickets; holds are counted in held.';
comment on table public.ticket_types is
  'What is sold for an event. held + sold <= capacity is a CHECK.';

-- The CHECK above replaces the trigger (which summed every live hold on each
-- change of sold, i.e. on every payment).
drop trigger ticket_types_capacity_guard on public.ticket_types;
drop function public.guard_ticket_type_capacity();

-- Lowering a capacity (the API or a hand edit in Studio) first releases the
-- type's expired holds, so only live holds and sold tickets stand in its way
-- (the CHECK above then judges). Runs under the row lock of the UPDATE itself.
create function public.release_expired_holds_on_capacity_cut() returns trigger
language plpgsql set search_path = '' as $$
declare
  v_released integer;
begin
  with released as (
    update public.order_items set held_until = null
     where ticket_type_id = new.id and held_until <= now()
    returning quantity
  )
  select coalesce(sum(quantity), 0)::integer into v_released from released;
  new.held := new.held - v_released;
  return new;
end;
$$;
create trigger ticket_types_capacity_cut before update of capacity on public.ticket_types
  for each row when (new.capacity < old.capacity)
  execute function public.release_expired_holds_on_capacity_cut();

-- Holds right now, as buyers see them: the counter minus the counted holds
-- already past held_until (few: the sweep releases them every minute; read
-- through order_items_active_holds_idx).
create or replace function public.ticket_type_held(p_ticket_type_id uuid) returns integer
language sql stable set search_path = '' as $$
  select t.held - coalesce((select sum(oi.quantity)::integer from public.order_items oi
                             where oi.ticket_type_id = t.id and oi.held_until <= now()), 0)
    from public.ticket_types t where t.id = p_ticket_type_id
$$;
comment on function public.ticket_type_held(uuid) is
  'Unexpired holds of a ticket type (held minus counted holds already expired).';

-- ---------------------------------------------------------------- releasing holds
-- Clears the holds of one order and takes them off the counters. Returns the
-- ticket types released. The caller holds the order's row lock; the types are
-- locked here in id order (the order every function locks them in).
create function public.release_order_holds(p_order_id uuid) returns uuid[]
language plpgsql set search_path = '' as $$
declare
  v_types uuid[];
begin
  perform 1 from public.ticket_types t
   where t.id in (select oi.ticket_type_id from public.order_items oi
                   where oi.order_id = p_order_id and oi.held_until is not null)
   order by t.id
     for no key update;
  -- "held_until is not null" is re-checked on the locked row: a hold released
  -- concurrently (by a reservation) is taken off the counter once.
  with released as (
    update public.order_items set held_until = null
     where order_id = p_order_id and held_until is not null
    returning ticket_type_id, quantity
  ), per_type as (
    select ticket_type_id, sum(quantity)::integer as quantity from released group by ticket_type_id
  ), counted as (
    update public.ticket_types t set held = t.held - p.quantity
      from per_type p where t.id = p.ticket_type_id
    returning t.id
  )
  select coalesce(array_agg(id order by id), '{}') into v_types from counted;
  return v_types;
end;
$$;

-- Releases up to p_limit holds of one ticket type that are past held_until,
-- oldest first (order_items_active_holds_idx), and returns how many tickets
-- came back. Their orders stay pending until the sweep or a payment settles
-- them: only this type's row is locked, so this never waits on another type.
-- Holds whose row is locked (a payment being applied) are skipped.
create function public.release_expired_holds(p_ticket_type_id uuid, p_limit integer default 200)
returns integer
language plpgsql set search_path = '' as $$
declare
  v_released integer;
begin
  perform 1 from public.ticket_types where id = p_ticket_type_id for no key update;
  with due as (
    select id from public.order_items
     where ticket_type_id = p_ticket_type_id and held_until <= now()
     order by held_until
     limit p_limit
       for no key update skip locked
  ), released as (
    update public.order_items oi set held_until = null
      from due where oi.id = due.id and oi.held_until is not null
    returning oi.quantity
  )
  select coalesce(sum(quantity), 0)::integer into v_released from released;
  if v_released > 0 then
    update public.ticket_types set held = held - v_released where id = p_ticket_type_id;
  end if;
  return v_released;
end;
$$;
comment on function public.release_expired_holds(uuid, integer) is
  'Releases up to p_limit expired holds of one ticket type; returns the tickets released.';

-- Takes p_quantity tickets of a type onto its counter: the guarded UPDATE is
-- the whole capacity check and takes the type's row lock. With no room, the
-- type's expired holds are released and the UPDATE tried once more. Returns
-- the tickets still available when there is no room, or null on success.
create function public.take_hold(p_ticket_type_id uuid, p_quantity integer) returns integer
language plpgsql set search_path = '' as $$
declare
  v_available integer;
begin
  -- Refused without waiting for the row lock when the last committed state has
  -- no room and no expired hold to release (most requests of a sold-out sale):
  -- a true answer as of that state.
  select capacity - sold - held into v_available
    from public.ticket_types where id = p_ticket_type_id;
  if v_available < p_quantity and not exists (
       select 1 from public.order_items
        where ticket_type_id = p_ticket_type_id and held_until <= now()) then
    return greatest(v_available, 0);
  end if;
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

-- ---------------------------------------------------------------- the consistency check
-- Ticket types whose counter disagrees with their counted holds: none, always.
-- Run after every concurrency test; admins run it from Studio.
create function public.ticket_type_hold_drift()
returns table (ticket_type_id uuid, held integer, counted_holds integer)
language sql stable set search_path = '' as $$
  select t.id, t.held, coalesce(h.quantity, 0)
    from public.ticket_types t
    left join (select oi.ticket_type_id, sum(oi.quantity)::integer as quantity
                 from public.order_items oi where oi.held_until is not null
                group by oi.ticket_type_id) h on h.ticket_type_id = t.id
   where t.held <> coalesce(h.quantity, 0)
$$;
comment on function public.ticket_type_hold_drift() is
  'Diagnostic: ticket types whose held counter differs from their holds (expected: no rows).';

revoke execute on function
  public.release_order_holds(uuid),
  public.release_expired_holds(uuid, integer),
  public.take_hold(uuid, integer),
  public.ticket_type_hold_drift()
  from public, anon, authenticated;
grant execute on function
  public.release_order_holds(uuid),
  public.release_expired_holds(uuid, integer),
  public.take_hold(uuid, integer),
  public.ticket_type_hold_drift()
  to service_role;
