-- Purchases and payments: the reservation (capacity holds under row locks),
-- Mercado Pago's webhook inbox, refunds, exactly-once ticket issuance, the
-- sweep of expired orders, and the simulated provider's payments.
--
-- Hold accounting (shared with events and tickets): a hold is an order_items
-- row with held_until = orders.expires_at while the order is pending;
-- availability = capacity - sold - ticket_type_held(id). Paying an order first
-- clears held_until, then adds to sold, in one transaction.

-- ---------------------------------------------------------------- orders, tickets
alter table public.orders
  add column attendees jsonb not null default '[]'::jsonb
    constraint orders_attendees_is_array check (jsonb_typeof(attendees) = 'array'),
  add column failure_reason text
    constraint orders_failure_reason_length check (failure_reason is null or length(failure_reason) <= 200);
comment on column public.orders.attendees is
  'Optional [{ticket_type_id, name, email}] from the request, assigned to tickets at issuance.';

-- A payment pays at most one order; it is what the webhook looks orders up by.
create unique index orders_provider_payment_uidx on public.orders (payment_provider, provider_payment_id)
  where provider_payment_id is not null;

-- Issuance numbers an order's tickets 1..n: a second issuance of the same order
-- collides here, so "exactly once" holds even against a bug or a hand edit.
alter table public.tickets add column issue_seq integer
  constraint tickets_issue_seq_positive check (issue_seq is null or issue_seq > 0);
create unique index tickets_order_issue_seq_uidx on public.tickets (order_id, issue_seq)
  where issue_seq is not null;

-- ---------------------------------------------------------------- payment_notifications
create table public.payment_notifications (
  id bigint generated always as identity primary key,
  provider text not null default 'mercadopago' check (length(provider) <= 40),
  -- The provider's notification id: redeliveries of one notification collapse here.
  notification_key text not null check (length(notification_key) between 1 and 200),
  topic text not null check (length(topic) <= 80),
  resource_id text check (resource_id is null or length(resource_id) <= 64),
  request_id text check (request_id is null or length(request_id) <= 200),
  payload jsonb not null,
  state text not null default 'received'
    check (state in ('received', 'processing', 'processed', 'failed', 'ignored', 'dead')),
  attempts integer not null default 0 check (attempts >= 0),
  last_error text check (last_error is null or length(last_error) <= 1000),
  next_attempt_at timestamptz not null default now(),
  -- A claim by one worker; an expired claim (crashed worker) may be taken over.
  locked_until timestamptz,
  order_id uuid references public.orders (id) on delete set null,
  payment_status text check (payment_status is null or length(payment_status) <= 40),
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  updated_at timestamptz not null default now(),
  unique (provider, notification_key)
);
comment on table public.payment_notifications is
  'Durable inbox of payment webhooks: one row per provider notification, retried until processed.';
create index payment_notifications_due_idx on public.payment_notifications (next_attempt_at)
  where state in ('received', 'processing', 'failed');
create index payment_notifications_order_idx on public.payment_notifications (order_id);
create trigger payment_notifications_touch before update on public.payment_notifications
  for each row execute function public.touch_updated_at();

-- ---------------------------------------------------------------- refunds
create table public.refunds (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null references public.orders (id) on delete restrict,
  provider text not null default 'mercadopago' check (length(provider) <= 40),
  provider_payment_id text not null check (length(provider_payment_id) <= 64),
  provider_refund_id text check (provider_refund_id is null or length(provider_refund_id) <= 64),
  amount integer not null check (amount >= 0),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  -- capacity_unavailable: approved after the hold expired and the tickets sold out;
  -- duplicate_payment: a second approved payment for an already paid order;
  -- amount_mismatch: the payment does not match the order; provider_refund: refunded at the provider.
  reason text not null
    check (reason in ('capacity_unavailable', 'duplicate_payment', 'amount_mismatch',
                      'provider_refund', 'admin')),
  -- pending: decided, not yet accepted by the provider (the sweep retries it);
  -- requested: accepted by the provider; succeeded: the provider reports the payment refunded.
  status text not null default 'pending' check (status in ('pending', 'requested', 'succeeded')),
  attempts integer not null default 0 check (attempts >= 0),
  last_error text check (last_error is null or length(last_error) <= 1000),
  next_attempt_at timestamptz not null default now(),
  requested_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- A payment is refunded at most once: a retried decision finds the row it made.
  unique (provider, provider_payment_id)
);
comment on table public.refunds is
  'Every refund decided or observed, with its provider state; pending rows are retried by the sweep.';
create index refunds_order_idx on public.refunds (order_id);
create index refunds_pending_idx on public.refunds (next_attempt_at) where status = 'pending';
create trigger refunds_touch before update on public.refunds
  for each row execute function public.touch_updated_at();

-- ---------------------------------------------------------------- simulated_payments
-- Payments of the local simulated provider (no MERCADOPAGO_ACCESS_TOKEN): kept in
-- the database so the checkout page and the webhook see the same payment.
create table public.simulated_payments (
  id bigint generated by default as identity (start with 1000000001) primary key,
  order_id uuid not null,
  status text not null check (status in ('pending', 'approved', 'rejected', 'cancelled', 'refunded')),
  status_detail text,
  transaction_amount numeric(14, 2) not null check (transaction_amount >= 0),
  currency char(3) not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.simulated_payments is
  'Local stand-in for Mercado Pago payments (development only); never written in production.';
create index simulated_payments_order_idx on public.simulated_payments (order_id);
create trigger simulated_payments_touch before update on public.simulated_payments
  for each row execute function public.touch_updated_at();

-- ---------------------------------------------------------------- RLS + grants
alter table public.payment_notifications enable row level security;
alter table public.refunds enable row level security;
alter table public.simulated_payments enable row level security;

revoke all on public.payment_notifications, public.refunds, public.simulated_payments
  from anon, authenticated;
grant all on public.payment_notifications, public.refunds, public.simulated_payments
  to service_role;

grant select on public.payment_notifications to authenticated;
create policy payment_notifications_admin_read on public.payment_notifications
  for select to authenticated using (public.is_admin());

grant select on public.refunds to authenticated;
create policy refunds_own_read on public.refunds
  for select to authenticated using (public.is_admin() or exists (
    select 1 from public.orders o where o.id = order_id and o.buyer_id = auth.uid()));

-- ---------------------------------------------------------------- reservation
-- Raised by the functions below; the service maps each SQLSTATE to a stable code:
--   CRP01 sold_out, CRP02 max_per_order_exceeded, CRP03 user_limit_exceeded,
--   CRP04 sales_not_open, CRP05 sales_closed, CRP06 event_not_on_sale,
--   CRP07 ticket_type_not_found, CRP08 event_not_found, CRP09 idempotency_conflict.

-- The order a buyer's idempotency key already created, or null; another body → CRP09.
create function public.order_for_idempotency_key(
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
  return jsonb_build_object('order_id', v_order.id, 'status', v_order.status,
    'total', v_order.total, 'currency', v_order.currency, 'expires_at', v_order.expires_at,
    'checkout_url', v_order.checkout_url, 'replayed', true);
end;
$$;

-- Checks one requested line against its (locked) ticket type; returns the line's total.
create function public.check_reservation_line(
  p_event_id uuid, p_ticket_type_id uuid, p_quantity integer
) returns integer
language plpgsql stable set search_path = '' as $$
declare
  v_type public.ticket_types%rowtype;
  v_available integer;
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
  v_available := v_type.capacity - v_type.sold - public.ticket_type_held(v_type.id);
  if v_available < p_quantity then
    raise exception using errcode = 'CRP01', message = 'sold_out',
      detail = jsonb_build_object('ticket_type_id', v_type.id,
                                  'available', greatest(v_available, 0))::text,
      hint = 'Not enough tickets left';
  end if;
  return v_type.price * p_quantity;
end;
$$;

-- The whole reservation in one round trip: checks, the per-user cap, the hold.
-- p_items is [{ticket_type_id, quantity}] with distinct ids; returns the order summary.
create function public.reserve_tickets(
  p_buyer_id uuid, p_buyer_email text, p_event_id uuid, p_items jsonb, p_attendees jsonb,
  p_idempotency_key text, p_request_hash text, p_hold_minutes integer
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_event public.events%rowtype;
  v_existing jsonb;
  v_order_id uuid;
  v_expires_at timestamptz := now() + make_interval(mins => p_hold_minutes);
  v_item record;
  v_total integer := 0;
  v_requested integer := 0;
  v_owned integer;
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
  -- Lock order for every reservation: the buyer (per event) first, then the ticket
  -- types by id. The buyer lock makes the per-user cap exact under concurrency and
  -- serialises replays of one Idempotency-Key; one fixed order means no deadlock.
  perform pg_advisory_xact_lock(hashtextextended(p_buyer_id::text || p_event_id::text, 0));
  v_existing := public.order_for_idempotency_key(p_buyer_id, p_idempotency_key, p_request_hash);
  if v_existing is not null then
    return v_existing;
  end if;
  perform 1 from public.ticket_types t
   where t.id in (select (e ->> 'ticket_type_id')::uuid from jsonb_array_elements(p_items) e)
   order by t.id
     for update;
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
  return jsonb_build_object('order_id', v_order_id, 'status', 'pending', 'total', v_total,
    'currency', v_event.currency, 'expires_at', v_expires_at, 'checkout_url', null,
    'replayed', false);
end;
$$;
comment on function public.reserve_tickets(uuid, text, uuid, jsonb, jsonb, text, text, integer) is
  'Takes a capacity hold for a buyer in one transaction; raises CRP01..CRP09 (see migration).';

-- Tickets a buyer owns (valid) plus tickets held for them right now, for one event.
create function public.tickets_owned_or_held(p_buyer_id uuid, p_event_id uuid) returns integer
language sql stable set search_path = '' as $$
  select (select count(*) from public.tickets t
           where t.owner_id = p_buyer_id and t.event_id = p_event_id and t.status = 'valid')::integer
       + (select coalesce(sum(oi.quantity), 0) from public.order_items oi
            join public.orders o on o.id = oi.order_id
           where o.buyer_id = p_buyer_id and o.event_id = p_event_id
             and oi.held_until > now())::integer
$$;

-- ---------------------------------------------------------------- issuance and revocation
-- Issues a paid order's tickets: locks its ticket types by id, clears its holds,
-- and, when every line still fits, adds to sold and inserts one ticket per person.
-- Returns the number issued, or null when capacity is gone (nothing sold then).
-- The caller holds the order's row lock and has checked it was not issued yet.
create function public.issue_order_tickets(p_order_id uuid) returns integer
language plpgsql set search_path = '' as $$
declare
  v_short integer;
  v_issued integer;
begin
  perform 1 from public.ticket_types t
   where t.id in (select oi.ticket_type_id from public.order_items oi where oi.order_id = p_order_id)
   order by t.id
     for update;
  -- Holds first: the capacity trigger counts active holds, this order's included.
  update public.order_items set held_until = null
   where order_id = p_order_id and held_until is not null;
  select count(*) into v_short
    from public.order_items oi join public.ticket_types t on t.id = oi.ticket_type_id
   where oi.order_id = p_order_id
     and t.capacity - t.sold - public.ticket_type_held(t.id) < oi.quantity;
  if v_short > 0 then
    return null;
  end if;
  update public.ticket_types t set sold = t.sold + oi.quantity
    from public.order_items oi
   where oi.order_id = p_order_id and t.id = oi.ticket_type_id;
  insert into public.tickets (order_id, event_id, ticket_type_id, owner_id, attendee_name,
                              attendee_email, issue_seq)
  select o.id, o.event_id, oi.ticket_type_id, o.buyer_id, a.e ->> 'name', a.e ->> 'email',
         row_number() over (order by oi.ticket_type_id, g.n)
    from public.orders o
    join public.order_items oi on oi.order_id = o.id
   cross join lateral generate_series(1, oi.quantity) as g (n)
    left join lateral (
      select x.e from jsonb_array_elements(o.attendees) with ordinality as x (e, ord)
       where x.e ->> 'ticket_type_id' = oi.ticket_type_id::text
       order by x.ord offset g.n - 1 limit 1) a on true
   where o.id = p_order_id;
  get diagnostics v_issued = row_count;
  return v_issued;
end;
$$;

-- Revokes an order's valid tickets and gives their places back (sold -= n).
create function public.revoke_order_tickets(p_order_id uuid, p_reason text) returns integer
language plpgsql set search_path = '' as $$
declare
  v_revoked integer;
begin
  perform 1 from public.ticket_types t
   where t.id in (select oi.ticket_type_id from public.order_items oi where oi.order_id = p_order_id)
   order by t.id
     for update;
  with revoked as (
    update public.tickets set status = 'revoked', revoked_at = now(), revoke_reason = p_reason
     where order_id = p_order_id and status = 'valid'
    returning ticket_type_id
  ), per_type as (
    select ticket_type_id, count(*)::integer as n from revoked group by ticket_type_id
  ), released as (
    update public.ticket_types t set sold = t.sold - p.n from per_type p
     where t.id = p.ticket_type_id
    returning p.n
  )
  select coalesce(sum(n), 0)::integer into v_revoked from released;
  return v_revoked;
end;
$$;

-- ---------------------------------------------------------------- sweep
-- Marks pending orders past expires_at as expired and clears their holds. Holds
-- stop counting at expiry anyway; this only makes the state visible. Rows locked
-- by a payment being applied are skipped (that path decides their fate).
create function public.sweep_expired_orders(p_limit integer default 1000) returns integer
language plpgsql set search_path = '' as $$
declare
  v_count integer;
begin
  with expired as (
    select id from public.orders
     where status = 'pending' and expires_at <= now()
     order by expires_at
     limit p_limit
       for update skip locked
  ), updated as (
    update public.orders o set status = 'expired', failure_reason = 'hold_expired'
      from expired e where o.id = e.id
    returning o.id
  ), released as (
    update public.order_items oi set held_until = null
      from updated u where oi.order_id = u.id and oi.held_until is not null
    returning oi.order_id
  ), audited as (
    insert into public.audit_log (actor_id, action, entity, entity_id, data)
    select null, 'order.expired', 'order', u.id::text, '{}'::jsonb from updated u
    returning id
  )
  select count(*) into v_count from updated;
  return v_count;
end;
$$;
comment on function public.sweep_expired_orders(integer) is
  'Expires pending orders past expires_at and clears their holds; run every minute by pg_cron.';

revoke execute on function
  public.order_for_idempotency_key(uuid, text, text),
  public.check_reservation_line(uuid, uuid, integer),
  public.reserve_tickets(uuid, text, uuid, jsonb, jsonb, text, text, integer),
  public.tickets_owned_or_held(uuid, uuid),
  public.issue_order_tickets(uuid),
  public.revoke_order_tickets(uuid, text),
  public.sweep_expired_orders(integer)
  from public, anon, authenticated;
grant execute on function
  public.order_for_idempotency_key(uuid, text, text),
  public.check_reservation_line(uuid, uuid, integer),
  public.reserve_tickets(uuid, text, uuid, jsonb, jsonb, text, text, integer),
  public.tickets_owned_or_held(uuid, uuid),
  public.issue_order_tickets(uuid),
  public.revoke_order_tickets(uuid, text),
  public.sweep_expired_orders(integer)
  to service_role;

-- On Supabase (pg_cron enabled) the database expires orders itself every minute;
-- elsewhere the local gateway's loop calls POST /purchases/sweep.
do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    perform cron.schedule('crodify-sweep-expired-orders', '* * * * *',
                          'select public.sweep_expired_orders()');
  end if;
end
$$;
