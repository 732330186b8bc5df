-- Chargebacks (Mercado Pago's `chargebacks` topic): the buyer disputed the
-- payment with their card issuer. The order becomes `disputed`: its tickets
-- not used yet are revoked (the door answers `disputed`), a ticket already
-- checked in stays as the evidence that the buyer attended, admins are
-- mailed, and the chargeback is recorded with Mercado Pago's id.

alter type public.order_status add value if not exists 'disputed';

insert into public.order_transitions (from_status, to_status, via, note) values
  ('paid', 'disputed', 'dispute_order', 'chargeback at the provider; unused tickets revoked');

-- ---------------------------------------------------------------- chargebacks
create table public.chargebacks (
  id uuid primary key default gen_random_uuid(),
  provider text not null default 'mercadopago' check (length(provider) <= 40),
  -- Mercado Pago's chargeback id: the evidence file refers to it. Null while the dispute
  -- is known only from the payment's status (charged_back); filled in when the
  -- chargebacks notification arrives.
  provider_chargeback_id text check (length(provider_chargeback_id) between 1 and 64),
  order_id uuid not null references public.orders (id) on delete restrict,
  provider_payment_id text not null check (length(provider_payment_id) <= 64),
  amount integer not null check (amount >= 0),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  -- What Mercado Pago last said of the payment (charged_back, in_mediation, …).
  provider_status text check (provider_status is null or length(provider_status) <= 40),
  -- Tickets revoked by the dispute, and tickets already used (the attendance evidence).
  tickets_revoked integer not null default 0 check (tickets_revoked >= 0),
  tickets_used integer not null default 0 check (tickets_used >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- A redelivered or reconciled chargeback finds its row.
  unique nulls not distinct (provider, provider_chargeback_id, provider_payment_id)
);
comment on table public.chargebacks is
  'Chargebacks notified by the payment provider, per payment, with the order they disputed.';
create index chargebacks_order_idx on public.chargebacks (order_id);
create trigger chargebacks_touch before update on public.chargebacks
  for each row execute function public.touch_updated_at();

alter table public.chargebacks enable row level security;
revoke all on public.chargebacks from anon, authenticated;
grant all on public.chargebacks to service_role;
grant select on public.chargebacks to authenticated;
create policy chargebacks_admin_read on public.chargebacks
  for select to authenticated using (public.is_admin());

-- ---------------------------------------------------------------- the door
alter table public.checkins drop constraint checkins_result_check;
alter table public.checkins add constraint checkins_result_check
  check (result in ('ok', 'already_redeemed', 'invalid', 'wrong_event', 'revoked', 'unpaid',
                    'not_yet_valid', 'expired', 'not_inside', 'disputed'));

-- As before, plus: a ticket of a disputed order answers `disputed`, used or not
-- (compared as text: the enum value is new in this transaction).
create or replace function public.checkin_precheck(
  p_found boolean, p_ticket_event uuid, p_event_id uuid, p_ticket_status public.ticket_status,
  p_event_status public.event_status, p_order_status public.order_status,
  p_starts_at timestamptz, p_ends_at timestamptz, p_direction text, p_at timestamptz
) returns text
language sql immutable set search_path = '' as $$
  select case
    when not p_found then 'invalid'
    when p_ticket_event <> p_event_id then 'wrong_event'
    when p_order_status::text = 'disputed' then 'disputed'
    when p_ticket_status = 'revoked' or p_event_status = 'cancelled' then 'revoked'
    when p_order_status <> 'paid' then 'unpaid'
    when p_direction = 'exit' then null
    when p_at < public.admission_opens_at(p_starts_at) then 'not_yet_valid'
    when p_at > p_ends_at then 'expired'
  end
$$;

-- ---------------------------------------------------------------- mail
-- One alert per admin per chargeback (dedupe key), in the caller's transaction.
create function public.queue_chargeback_alerts(p_chargeback_id uuid) returns integer
language plpgsql set search_path = '' as $$
declare
  v_count integer := 0;
  v_admin record;
  v_data jsonb;
begin
  select jsonb_build_object(
           'chargeback_id', c.provider_chargeback_id, 'payment_id', c.provider_payment_id,
           'order_id', c.order_id, 'amount', c.amount, 'currency', c.currency::text,
           'tickets_revoked', c.tickets_revoked, 'tickets_used', c.tickets_used,
           'event_title', e.title)
    into v_data
    from public.chargebacks c
    join public.orders o on o.id = c.order_id
    join public.events e on e.id = o.event_id
   where c.id = p_chargeback_id;
  for v_admin in
    select distinct u.id, u.email,
           case when u.raw_user_meta_data ->> 'locale' ilike 'en%' then 'en' else 'es' end as locale
      from public.user_roles r join auth.users u on u.id = r.user_id
     where r.role = 'admin' and u.email is not null
     order by u.id
  loop
    if (public.enqueue_email(v_admin.email, 'chargeback_alert', v_admin.locale,
          'chargeback_alert:' || p_chargeback_id || ':' || v_admin.id, v_data) ->> 'queued')::boolean
    then
      v_count := v_count + 1;
    end if;
  end loop;
  return v_count;
end;
$$;

-- ---------------------------------------------------------------- the transition
-- dispute: the provider reports a chargeback on a payment (the chargebacks
-- topic, p_chargeback_id set; or the payment's status charged_back, null). Recorded always
-- (evidence); only the payment that paid the order moves it: paid → disputed,
-- tickets not checked in revoked (sold -= n), checked-in tickets kept, the audit
-- row, admins alerted. A repeated notification changes nothing.
-- outcome: disputed | unchanged | unknown_order.
create function public.dispute_order(
  p_order_id uuid, p_provider text, p_payment_id text, p_provider_status text,
  p_chargeback_id text, p_amount integer, p_currency text
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
  v_chargeback uuid;
  v_revoked integer;
  v_used integer;
begin
  select * into v_order from public.orders where id = p_order_id for update;
  if not found or v_order.payment_provider <> p_provider then
    return public.transition_result(null, 'unknown_order');
  end if;
  if p_chargeback_id is null then
    -- Known from the payment's status only: any row of this payment already tells it.
    select id into v_chargeback from public.chargebacks
     where provider = p_provider and provider_payment_id = p_payment_id
     order by created_at limit 1;
  else
    -- The row the payment's status opened gets the chargeback's id when it comes.
    update public.chargebacks set provider_chargeback_id = p_chargeback_id
     where provider = p_provider and provider_payment_id = p_payment_id
       and provider_chargeback_id is null
       and not exists (select 1 from public.chargebacks c
                        where c.provider = p_provider and c.provider_payment_id = p_payment_id
                          and c.provider_chargeback_id = p_chargeback_id);
  end if;
  if v_chargeback is null then
    insert into public.chargebacks (provider, provider_chargeback_id, order_id,
                                    provider_payment_id, amount, currency, provider_status)
    values (p_provider, p_chargeback_id, v_order.id, p_payment_id, p_amount,
            coalesce(nullif(p_currency, ''), v_order.currency), p_provider_status)
    on conflict (provider, provider_chargeback_id, provider_payment_id) do update
      set provider_status = excluded.provider_status
    returning id into v_chargeback;
  end if;
  if v_order.status <> 'paid' or v_order.provider_payment_id is distinct from p_payment_id then
    return public.transition_result(v_order.id, 'unchanged');
  end if;
  -- Types in id order (FOR NO KEY UPDATE, as every transition), then the tickets.
  perform 1 from public.ticket_types t
   where t.id in (select oi.ticket_type_id from public.order_items oi where oi.order_id = v_order.id)
   order by t.id
     for no key update;
  with revoked as (
    update public.tickets set status = 'revoked', revoked_at = now(), revoke_reason = 'chargeback'
     where order_id = v_order.id and status = 'valid' and checked_in_at is null
    returning ticket_type_id
  ), per_type as (
    select ticket_type_id, count(*)::integer as n from revoked group by ticket_type_id
  ), released as (
    update public.ticket_types t set sold = t.sold - p.n from per_type p
     where t.id = p.ticket_type_id
    returning p.n
  )
  select coalesce(sum(n), 0)::integer into v_revoked from released;
  select count(*)::integer into v_used from public.tickets
   where order_id = v_order.id and checked_in_at is not null;
  update public.chargebacks set tickets_revoked = v_revoked, tickets_used = v_used
   where id = v_chargeback;
  update public.orders
     set status = 'disputed', provider_status = p_provider_status, failure_reason = 'chargeback'
   where id = v_order.id;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (null, 'order.disputed', 'order', v_order.id::text,
          jsonb_build_object('chargeback_id', p_chargeback_id, 'payment_id', p_payment_id,
                             'tickets_revoked', v_revoked, 'tickets_used', v_used));
  perform public.queue_chargeback_alerts(v_chargeback);
  return public.transition_result(v_order.id, 'disputed', null,
    array(select distinct ticket_type_id from public.order_items
           where order_id = v_order.id order by 1));
end;
$$;

revoke execute on function
  public.queue_chargeback_alerts(uuid),
  public.dispute_order(uuid, text, text, text, text, integer, text)
  from public, anon, authenticated;
grant execute on function
  public.queue_chargeback_alerts(uuid),
  public.dispute_order(uuid, text, text, text, text, integer, text)
  to service_role;
