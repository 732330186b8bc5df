-- Commerce core shared by events, purchases and tickets: ticket types with
-- their capacity accounting, orders, order items (which carry the holds) and
-- issued tickets. Domain migrations after this one add their own tables.

create type public.order_status as enum
  ('pending', 'paid', 'expired', 'failed', 'cancelled', 'refunded');
create type public.ticket_status as enum ('valid', 'revoked');

-- ---------------------------------------------------------------- ticket_types
create table public.ticket_types (
  id uuid primary key default gen_random_uuid(),
  event_id uuid not null references public.events (id) on delete cascade,
  name text not null check (length(name) between 1 and 120),
  description text not null default '' check (length(description) <= 2000),
  -- Integer minor units of the event's currency (centavos for ARS): no float rounding.
  price integer not null check (price >= 0),
  capacity integer not null check (capacity between 0 and 1000000),
  -- Tickets paid for. Holds are not a counter: they live on order_items.held_until,
  -- so a hold that expires stops counting by itself even if no sweeper runs.
  sold integer not null default 0 check (sold >= 0),
  sales_start_at timestamptz,
  sales_end_at timestamptz,
  max_per_order integer not null default 10 check (max_per_order between 1 and 100),
  sort_order integer not null default 0,
  is_active boolean not null default true,
  allow_reentry boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint ticket_types_sold_within_capacity check (sold <= capacity),
  constraint ticket_types_sales_window check (
    sales_start_at is null or sales_end_at is null or sales_end_at > sales_start_at),
  unique (event_id, name)
);
comment on table public.ticket_types is
  'What is sold for an event. capacity >= sold + active holds is guarded by a CHECK and a trigger.';
comment on column public.ticket_types.sold is 'Paid tickets; holds are order_items.held_until.';
create index ticket_types_event_idx on public.ticket_types (event_id, sort_order);
create trigger ticket_types_touch before update on public.ticket_types
  for each row execute function public.touch_updated_at();

-- ---------------------------------------------------------------- orders
create table public.orders (
  id uuid primary key default gen_random_uuid(),
  buyer_id uuid not null references auth.users (id) on delete restrict,
  -- restrict: an event with orders is cancelled, never deleted (money trail).
  event_id uuid not null references public.events (id) on delete restrict,
  status public.order_status not null default 'pending',
  total integer not null check (total >= 0),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  expires_at timestamptz not null,
  buyer_email text check (buyer_email is null or length(buyer_email) <= 320),
  -- Same key + same body → same order; the hash tells a replay from a conflict.
  idempotency_key text not null check (length(idempotency_key) between 1 and 255),
  request_hash text not null,
  payment_provider text not null default 'mercadopago',
  provider_preference_id text,
  provider_payment_id text,
  provider_status text,
  checkout_url text,
  paid_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (buyer_id, idempotency_key)
);
comment on table public.orders is
  'A purchase. pending orders hold capacity until expires_at; paid orders own tickets.';
create index orders_buyer_idx on public.orders (buyer_id, created_at desc);
create index orders_event_idx on public.orders (event_id, status);
create index orders_pending_expiry_idx on public.orders (expires_at) where status = 'pending';
create trigger orders_touch before update on public.orders
  for each row execute function public.touch_updated_at();

create table public.order_items (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null references public.orders (id) on delete cascade,
  ticket_type_id uuid not null references public.ticket_types (id) on delete restrict,
  quantity integer not null check (quantity between 1 and 100),
  unit_price integer not null check (unit_price >= 0),
  -- Set to the order's expiry while it is pending, cleared when it leaves pending.
  -- A hold counts only while held_until > now().
  held_until timestamptz,
  unique (order_id, ticket_type_id)
);
comment on table public.order_items is 'Lines of an order; held_until is the capacity hold.';
create index order_items_active_holds_idx on public.order_items (ticket_type_id, held_until)
  where held_until is not null;

-- Tickets held right now for a type (unexpired holds only).
create function public.ticket_type_held(p_ticket_type_id uuid) returns integer
language sql stable set search_path = '' as $$
  select coalesce(sum(quantity), 0)::integer
    from public.order_items
   where ticket_type_id = p_ticket_type_id and held_until > now()
$$;
comment on function public.ticket_type_held(uuid) is
  'Active (unexpired) holds of a ticket type; expired holds never count.';

-- Guards hand edits in Studio as well as the API: capacity may not drop below
-- what is sold plus what is held right now.
create function public.guard_ticket_type_capacity() returns trigger
language plpgsql set search_path = '' as $$
begin
  if new.capacity < new.sold + public.ticket_type_held(new.id) then
    raise exception 'capacity % is below sold % plus active holds', new.capacity, new.sold
      using errcode = '23514', constraint = 'ticket_types_capacity_covers_holds';
  end if;
  return new;
end;
$$;
create trigger ticket_types_capacity_guard before update of capacity, sold on public.ticket_types
  for each row execute function public.guard_ticket_type_capacity();

-- ---------------------------------------------------------------- tickets
create table public.tickets (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null references public.orders (id) on delete restrict,
  event_id uuid not null references public.events (id) on delete restrict,
  ticket_type_id uuid not null references public.ticket_types (id) on delete restrict,
  owner_id uuid not null references auth.users (id) on delete restrict,
  attendee_name text check (attendee_name is null or length(attendee_name) <= 200),
  attendee_email text check (attendee_email is null or length(attendee_email) <= 320),
  status public.ticket_status not null default 'valid',
  revoked_at timestamptz,
  revoke_reason text,
  issued_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tickets_revocation_consistent check ((status = 'revoked') = (revoked_at is not null))
);
comment on table public.tickets is
  'One row per admitted person, issued exactly once when its order is paid.';
create index tickets_owner_idx on public.tickets (owner_id, issued_at desc);
create index tickets_order_idx on public.tickets (order_id);
create index tickets_event_idx on public.tickets (event_id, updated_at);
create trigger tickets_touch before update on public.tickets
  for each row execute function public.touch_updated_at();

-- ---------------------------------------------------------------- RLS + grants
alter table public.ticket_types enable row level security;
alter table public.orders enable row level security;
alter table public.order_items enable row level security;
alter table public.tickets enable row level security;

revoke all on public.ticket_types, public.orders, public.order_items, public.tickets
  from anon, authenticated;
grant all on public.ticket_types, public.orders, public.order_items, public.tickets
  to service_role;

grant select on public.ticket_types to anon, authenticated;
grant insert, update, delete on public.ticket_types to authenticated;
create policy ticket_types_public_read on public.ticket_types
  for select to anon, authenticated
  using (is_active and exists (
    select 1 from public.events e where e.id = event_id and e.status = 'published'));
create policy ticket_types_admin_all on public.ticket_types
  for all to authenticated using (public.is_admin()) with check (public.is_admin());

-- Buyers read their own orders and tickets; writes happen only in the API.
grant select on public.orders, public.order_items, public.tickets to authenticated;
create policy orders_own_read on public.orders
  for select to authenticated using (buyer_id = auth.uid() or public.is_admin());
create policy order_items_own_read on public.order_items
  for select to authenticated using (exists (
    select 1 from public.orders o
     where o.id = order_id and (o.buyer_id = auth.uid() or public.is_admin())));
create policy tickets_own_read on public.tickets
  for select to authenticated using (owner_id = auth.uid() or public.is_admin());
