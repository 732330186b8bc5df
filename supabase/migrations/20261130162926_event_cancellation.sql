-- Event cancellation (issue 14 item 6). An event moved to `cancelled` (POST
-- /events/{id}/cancel, PUT status=cancelled, or a hand edit in Studio: one
-- trigger for all three) stops selling at once and, in the same transaction:
-- every valid ticket is revoked (the door and the next scanner sync answer
-- `revoked`), the waiting room closes, pending orders are cancelled (their
-- holds released), each buyer of a paid order is mailed once, and a durable
-- job row is written per paid order. The sweep works the job off in bounded
-- batches (refund_cancelled_order: the order refunded, its refund decided;
-- Mercado Pago is asked after commit with the refund's id as idempotency key,
-- so a crash between the provider's refund and our commit never refunds twice).
-- Progress: public.event_cancellation_progress (Studio) and
-- GET /events/{id}/cancellation.

alter table public.refunds drop constraint refunds_reason_check;
alter table public.refunds add constraint refunds_reason_check
  check (reason in ('capacity_unavailable', 'duplicate_payment', 'amount_mismatch',
                    'provider_refund', 'admin', 'partial', 'event_cancelled'));

insert into public.order_transitions (from_status, to_status, via, note) values
  ('pending', 'cancelled', 'cancel_order', 'its event was cancelled; holds released'),
  ('awaiting_payment', 'cancelled', 'cancel_order', 'its event was cancelled; holds released'),
  ('cancelled', 'refunded', 'pay_order', 'paid after its event was cancelled: refund decided');
update public.order_transitions set via = via || ', refund_cancelled_order'
 where from_status = 'paid' and to_status = 'refunded';

-- ---------------------------------------------------------------- the job's tables
create table public.event_cancellations (
  event_id uuid primary key references public.events (id) on delete cascade,
  -- running: orders still to refund (or refunds the provider has not accepted yet);
  -- done: every order's refund accepted or nothing left to refund.
  status text not null default 'running' check (status in ('running', 'done')),
  requested_by uuid references auth.users (id) on delete set null,
  orders_total integer not null default 0 check (orders_total >= 0),
  tickets_revoked integer not null default 0 check (tickets_revoked >= 0),
  buyers_mailed integer not null default 0 check (buyers_mailed >= 0),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  constraint event_cancellations_finished check ((status = 'done') = (finished_at is not null))
);
comment on table public.event_cancellations is
  'One row per cancelled event: the refund job''s totals; progress in event_cancellation_progress.';
create index event_cancellations_requested_by_idx on public.event_cancellations (requested_by);

-- One row per order paid when its event was cancelled: the job's unit of work,
-- a retry-queue row (attempts, next_attempt_at, last_error; shared/retry_queue.ts).
create table public.event_cancellation_orders (
  order_id uuid primary key references public.orders (id) on delete restrict,
  event_id uuid not null references public.event_cancellations (event_id) on delete restrict,
  -- pending: not refunded yet; refunded: the order refunded and its refund decided
  -- (refund_id; the refund's own status says whether Mercado Pago accepted it);
  -- skipped: nothing left to refund when its turn came (refunded or disputed before).
  status text not null default 'pending' check (status in ('pending', 'refunded', 'skipped')),
  refund_id uuid references public.refunds (id) on delete restrict,
  amount integer not null default 0 check (amount >= 0),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  last_error text check (last_error is null or length(last_error) <= 1000),
  decided_at timestamptz,
  constraint event_cancellation_orders_decided
    check ((status = 'pending') = (decided_at is null))
);
comment on table public.event_cancellation_orders is
  'The cancellation job: one row per paid order of a cancelled event, refunded by the sweep.';
create index event_cancellation_orders_event_idx on public.event_cancellation_orders (event_id, status);
create index event_cancellation_orders_due_idx on public.event_cancellation_orders (next_attempt_at)
  where status = 'pending';
create index event_cancellation_orders_refund_idx on public.event_cancellation_orders (refund_id);

-- What an admin (Studio, GET /events/{id}/cancellation) watches. refunded:
-- decided and accepted by the provider (or nothing was owed); retrying: an
-- attempt failed and is scheduled again; remaining: not done yet (retrying included).
create view public.event_cancellation_progress with (security_invoker = true) as
select c.event_id, e.title, c.status, c.started_at, c.finished_at, c.orders_total as total,
       count(j.order_id) filter (where j.status = 'refunded'
                                   and (r.id is null or r.status <> 'pending'))::integer as refunded,
       count(j.order_id) filter (where j.status = 'skipped')::integer as skipped,
       count(j.order_id) filter (where (j.status = 'pending' and j.attempts > 0)
                                    or (r.status = 'pending' and r.attempts > 0))::integer
         as retrying,
       count(j.order_id) filter (where j.status = 'pending' or r.status = 'pending')::integer
         as remaining,
       coalesce(sum(j.amount) filter (where j.status = 'refunded'
                                        and (r.id is null or r.status <> 'pending')), 0)::bigint
         as refunded_amount,
       e.currency::text as currency, c.tickets_revoked, c.buyers_mailed,
       (array_agg(coalesce(j.last_error, r.last_error) order by coalesce(r.updated_at, j.next_attempt_at) desc)
         filter (where coalesce(j.last_error, r.last_error) is not null
                   and (j.status = 'pending' or r.status = 'pending')))[1] as last_error
  from public.event_cancellations c
  join public.events e on e.id = c.event_id
  left join public.event_cancellation_orders j on j.event_id = c.event_id
  left join public.refunds r on r.id = j.refund_id
 group by c.event_id, e.title, e.currency, c.status, c.started_at, c.finished_at, c.orders_total,
          c.tickets_revoked, c.buyers_mailed;
comment on view public.event_cancellation_progress is
  'Per cancelled event: orders refunded, skipped, retrying and remaining (the sweep''s refund job).';

alter table public.event_cancellations enable row level security;
alter table public.event_cancellation_orders enable row level security;
revoke all on public.event_cancellations, public.event_cancellation_orders,
  public.event_cancellation_progress from anon, authenticated;
grant all on public.event_cancellations, public.event_cancellation_orders to service_role;
grant select on public.event_cancellation_progress to service_role;
-- Admins read the job through PostgREST too; nobody but the functions writes it.
grant select on public.event_cancellations, public.event_cancellation_orders,
  public.event_cancellation_progress to authenticated;
create policy event_cancellations_admin_read on public.event_cancellations
  for select to authenticated using ((select public.is_admin()));
create policy event_cancellation_orders_admin_read on public.event_cancellation_orders
  for select to authenticated using ((select public.is_admin()));

-- ---------------------------------------------------------------- mail
-- One notice per buyer of the event's paid orders (the job's orders), with the
-- tickets that stop being valid and the money coming back; keyed per event and
-- buyer, so it is queued once however often this runs. Returns how many were queued.
create function public.queue_event_cancelled_notices(p_event_id uuid) returns integer
language plpgsql set search_path = '' as $$
declare
  v_queued integer;
begin
  with owed as (
    select o.buyer_id, o.id, o.created_at,
           o.total - o.refunded_amount as amount,
           (select count(*) from public.tickets t
             where t.order_id = o.id and t.status = 'valid') as tickets
      from public.event_cancellation_orders j
      join public.orders o on o.id = j.order_id
     -- A deleted buyer's account gets no mail (README, Data rules), as with refund notices.
     where j.event_id = p_event_id and o.buyer_id is not null
  ), buyers as (
    select buyer_id, (array_agg(id order by created_at desc))[1] as last_order_id,
           sum(amount)::integer as refund_amount, sum(tickets)::integer as ticket_count
      from owed group by buyer_id
  ), queued as (
    insert into public.email_outbox (recipient, template, locale, dedupe_key, data)
    select ctx.m ->> 'email', 'event_cancelled', ctx.m ->> 'locale',
           'event_cancelled:' || p_event_id || ':' || b.buyer_id,
           jsonb_build_object(
             'holder_name', ctx.m -> 'data' ->> 'buyer_name',
             'ticket_count', b.ticket_count, 'refund_amount', b.refund_amount,
             'currency', o.currency::text, 'event', ctx.m -> 'data' -> 'event')
      from buyers b
      join public.orders o on o.id = b.last_order_id
     cross join lateral (select public.order_mail_context(o.id)) as ctx (m)
     where ctx.m ->> 'email' is not null
    on conflict (dedupe_key) do nothing
    returning 1
  )
  select count(*)::integer into v_queued from queued;
  return v_queued;
end;
$$;

-- The refund notice, as before, except for an order its event's cancellation
-- refunds: the buyer's one cancellation notice already says so.
create or replace function public.queue_refund_notice(p_order_id uuid) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_context jsonb;
begin
  if exists (select 1 from public.event_cancellation_orders where order_id = p_order_id) then
    return jsonb_build_object('queued', false, 'skipped', 'told by the event cancellation notice');
  end if;
  v_context := public.order_mail_context(p_order_id);
  if v_context is null then
    return jsonb_build_object('queued', false, 'skipped', 'order not found');
  elsif v_context ->> 'email' is null then
    return jsonb_build_object('queued', false, 'skipped', 'buyer has no email');
  end if;
  return public.enqueue_email(v_context ->> 'email', 'refund_notice', v_context ->> 'locale',
    'refund_notice:' || p_order_id,
    v_context -> 'data' || jsonb_build_object(
      'amount', (select total from public.orders where id = p_order_id)));
end;
$$;

-- ---------------------------------------------------------------- the transitions
-- cancel: a pending order of a cancelled event. Its holds are released and it
-- can no longer be paid (a payment that still comes is refunded by pay_order).
-- Skips an order another transaction holds (a payment being applied settles it).
-- outcome: cancelled | unchanged | unknown_order.
create function public.cancel_order(p_order_id uuid) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
  v_released uuid[];
begin
  select o.* into v_order from public.orders o
   where o.id = p_order_id
     and exists (select 1 from public.events e where e.id = o.event_id and e.status = 'cancelled')
     for update of o skip locked;
  if not found then
    return public.transition_result(null, 'unknown_order');
  end if;
  if not exists (select 1 from public.order_transitions
                  where from_status = v_order.status::text and to_status = 'cancelled') then
    return public.transition_result(v_order.id, 'unchanged');
  end if;
  v_released := public.release_order_holds(v_order.id);
  update public.orders set status = 'cancelled', failure_reason = 'event_cancelled'
   where id = v_order.id;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (null, 'order.cancelled', 'order', v_order.id::text,
          jsonb_build_object('reason', 'event_cancelled', 'was', v_order.status));
  return public.transition_result(v_order.id, 'cancelled', null, v_released);
end;
$$;

-- Cancels up to p_limit pending orders of a cancelled event (each as cancel_order).
create function public.cancel_pending_orders(p_event_id uuid, p_limit integer default 1000)
returns integer
language plpgsql set search_path = '' as $$
declare
  v_id uuid;
  v_count integer := 0;
begin
  for v_id in
    select o.id from public.orders o
     where o.event_id = p_event_id
       and o.status::text in (select from_status from public.order_transitions
                               where to_status = 'cancelled')
     order by o.created_at limit p_limit
  loop
    if public.cancel_order(v_id) ->> 'outcome' = 'cancelled' then
      v_count := v_count + 1;
    end if;
  end loop;
  return v_count;
end;
$$;

-- refund (cancellation): one job row's order, refunded in full (what partial
-- refunds left) with the refund decided pending for the provider; no notice
-- (the buyer's cancellation notice covers it). A job row is decided once: a
-- second call, or one for an order no longer paid, changes nothing more.
-- outcome: refunded (refund_ids: the refund still to ask for) | unchanged | unknown_order.
create function public.refund_cancelled_order(p_order_id uuid) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
  v_job public.event_cancellation_orders%rowtype;
  v_amount integer;
  v_refund_id uuid;
  v_refund_status text;
  v_released uuid[];
begin
  -- The order first, as every transition; then its job row.
  select * into v_order from public.orders where id = p_order_id for update;
  select * into v_job from public.event_cancellation_orders where order_id = p_order_id
     for update;
  if v_order.id is null or v_job.order_id is null then
    return public.transition_result(null, 'unknown_order');
  end if;
  if v_job.status <> 'pending' then
    return public.transition_result(v_order.id, 'unchanged');
  end if;
  if v_order.status <> 'paid' then
    update public.event_cancellation_orders set status = 'skipped', decided_at = now()
     where order_id = v_order.id;
    return public.transition_result(v_order.id, 'unchanged');
  end if;
  v_amount := v_order.total - v_order.refunded_amount;
  if v_amount > 0 and v_order.provider_payment_id is not null then
    perform public.record_refund(v_order.id, v_order.payment_provider,
      v_order.provider_payment_id, v_amount, v_order.currency, 'event_cancelled', 'pending');
    -- The payment's whole-refund row, whether made now or found (record_refund is keyed by it).
    select id, status into v_refund_id, v_refund_status from public.refunds
     where provider = v_order.payment_provider and provider_payment_id = v_order.provider_payment_id
       and part is null;
  end if;
  update public.orders set refunded_amount = total where id = v_order.id;
  v_released := public.mark_order_refunded(v_order, v_order.provider_payment_id,
    coalesce(v_order.provider_status, 'approved'), 'event_cancelled');
  update public.event_cancellation_orders
     set status = 'refunded', refund_id = v_refund_id, amount = v_amount, decided_at = now(),
         last_error = null
   where order_id = v_order.id;
  return public.transition_result(v_order.id, 'refunded',
    case when v_refund_status = 'pending' then v_refund_id end, v_released);
end;
$$;

-- pay, for an order of a cancelled event that is not settled: the payment is
-- refunded, never issued, and the order refunded (its buyer mailed).
create function public.refund_cancelled_event_payment(
  p_order public.orders, p_provider text, p_payment_id text, p_provider_status text,
  p_amount integer, p_currency text
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_refund_id uuid;
  v_released uuid[];
begin
  v_refund_id := public.record_refund(p_order.id, p_provider, p_payment_id, p_amount,
    coalesce(nullif(p_currency, ''), p_order.currency), 'event_cancelled', 'pending');
  if exists (select 1 from public.order_transitions
              where from_status = p_order.status::text and to_status = 'refunded') then
    v_released := public.mark_order_refunded(p_order, p_payment_id, p_provider_status,
                                             'event_cancelled');
  end if;
  return public.transition_result(p_order.id, 'refund_requested', v_refund_id, v_released);
end;
$$;

-- As in the awaiting_payment migration, plus: an order of a cancelled event
-- that is not settled yet is never paid, its payment refunded. The event row is
-- read FOR SHARE: a cancellation in progress finishes first (this payment then
-- sees it), or waits for this payment (and then finds the order paid and refunds it).
create or replace function public.pay_order(
  p_order_id uuid, p_provider text, p_payment_id text, p_provider_status text,
  p_amount integer, p_currency text
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
  v_event_status public.event_status;
  v_issued integer;
  v_refund_id uuid;
begin
  -- The order's row lock serialises every notification about it: exactly one applies.
  select * into v_order from public.orders where id = p_order_id for update;
  if not found or v_order.payment_provider <> p_provider then
    return public.transition_result(null, 'unknown_order');
  end if;
  -- A payment already refunded (we asked, or the provider told us) never pays an
  -- order, however late its "approved" notification comes.
  if exists (select 1 from public.refunds
              where provider = p_provider and provider_payment_id = p_payment_id) then
    return public.transition_result(v_order.id, 'unchanged');
  end if;
  -- Only for an order not settled: a transition on a paid order never waits for the
  -- event (a cancellation holding it waits for paid orders' locks).
  if v_order.status not in ('paid', 'refunded', 'disputed') then
    select status into v_event_status from public.events where id = v_order.event_id for share;
    if v_event_status = 'cancelled' then
      return public.refund_cancelled_event_payment(v_order, p_provider, p_payment_id,
        p_provider_status, p_amount, p_currency);
    end if;
  end if;
  if v_order.status not in ('pending', 'awaiting_payment', 'expired', 'failed') then
    if v_order.provider_payment_id = p_payment_id then
      return public.transition_result(v_order.id, 'unchanged');
    end if;
    -- Paid without a recorded payment (legacy or hand-edited data): the matching
    -- approved payment reconciliation finds is the one that paid it, not a duplicate.
    if v_order.status = 'paid' and v_order.provider_payment_id is null
       and p_amount = v_order.total and p_currency = v_order.currency::text then
      update public.orders set provider_payment_id = p_payment_id,
                               provider_status = p_provider_status
       where id = v_order.id;
      insert into public.audit_log (actor_id, action, entity, entity_id, data)
      values (null, 'order.payment_recorded', 'order', v_order.id::text,
              jsonb_build_object('payment_id', p_payment_id));
      return public.transition_result(v_order.id, 'unchanged');
    end if;
    -- A second approved payment for a settled order: the buyer paid twice.
    return public.transition_result(v_order.id, 'refund_requested', public.record_refund(
      v_order.id, p_provider, p_payment_id, p_amount, coalesce(nullif(p_currency, ''),
      v_order.currency), 'duplicate_payment', 'pending'));
  end if;
  if p_amount <> v_order.total or p_currency <> v_order.currency::text then
    return public.transition_result(v_order.id, 'refund_requested', public.record_refund(
      v_order.id, p_provider, p_payment_id, p_amount, coalesce(nullif(p_currency, ''),
      v_order.currency), 'amount_mismatch', 'pending'));
  end if;
  v_issued := public.issue_order_tickets(v_order.id);
  if v_issued is null then
    v_refund_id := public.record_refund(v_order.id, p_provider, p_payment_id, p_amount,
                                        p_currency, 'capacity_unavailable', 'pending');
    perform public.mark_order_refunded(v_order, p_payment_id, p_provider_status,
                                       'capacity_unavailable');
    return public.transition_result(v_order.id, 'refund_requested', v_refund_id);
  end if;
  update public.orders
     set status = 'paid', paid_at = now(), provider_payment_id = p_payment_id,
         provider_status = p_provider_status, failure_reason = null
   where id = v_order.id;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (null, 'order.paid', 'order', v_order.id::text,
          jsonb_build_object('payment_id', p_payment_id, 'tickets', v_issued,
                             'was', v_order.status));
  -- Queued in this transaction (outbox): the mail exists exactly when the tickets do.
  perform public.queue_order_confirmation(v_order.id);
  return public.transition_result(v_order.id, 'paid');
end;
$$;

-- ---------------------------------------------------------------- starting and finishing
-- Everything a cancellation does at once, in the cancelling transaction (the
-- caller holds the event's row, FOR NO KEY UPDATE). Lock order: the paid
-- orders first (the job rows' foreign keys take KEY SHARE: a transition on a
-- paid order finishes first, and none waits for the event), then the event's
-- ticket types in id order, then pending orders only with SKIP LOCKED (a
-- payment holding one waits for the event, and refunds it), then tickets.
create function public.start_event_cancellation(p_event_id uuid) returns void
language plpgsql set search_path = '' as $$
declare
  -- Who cancelled: the API names its admin (crodify.actor_id); PostgREST, the JWT's user;
  -- Studio, nobody (the row trigger's audit row has the database role).
  v_actor uuid := coalesce((select auth.uid()),
                           nullif(current_setting('crodify.actor_id', true), '')::uuid);
  v_tickets integer;
begin
  insert into public.event_cancellations (event_id, requested_by)
  values (p_event_id, v_actor)
  on conflict (event_id) do nothing;
  if not found then
    return;
  end if;
  insert into public.event_cancellation_orders (order_id, event_id)
  select id, event_id from public.orders where event_id = p_event_id and status = 'paid';
  update public.event_cancellations
     set orders_total = (select count(*) from public.event_cancellation_orders
                          where event_id = p_event_id),
         buyers_mailed = public.queue_event_cancelled_notices(p_event_id)
   where event_id = p_event_id;
  -- Nothing was paid: nothing to refund.
  update public.event_cancellations set status = 'done', finished_at = now()
   where event_id = p_event_id and orders_total = 0;
  update public.queue_settings set enabled = false where event_id = p_event_id and enabled;
  perform 1 from public.ticket_types where event_id = p_event_id order by id for no key update;
  perform public.cancel_pending_orders(p_event_id);
  -- After the notices (they count the tickets that stop being valid).
  with revoked as (
    update public.tickets set status = 'revoked', revoked_at = now(),
                              revoke_reason = 'event_cancelled'
     where event_id = p_event_id and status = 'valid'
    returning ticket_type_id
  ), per_type as (
    select ticket_type_id, count(*)::integer as n from revoked group by ticket_type_id
  ), released as (
    update public.ticket_types t set sold = t.sold - p.n from per_type p
     where t.id = p.ticket_type_id
    returning p.n
  )
  select coalesce(sum(n), 0)::integer into v_tickets from released;
  update public.event_cancellations set tickets_revoked = v_tickets where event_id = p_event_id;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  select v_actor, 'event.cancellation_started', 'event', p_event_id::text,
         jsonb_build_object('orders', c.orders_total, 'tickets_revoked', c.tickets_revoked,
                            'buyers_mailed', c.buyers_mailed, 'db_role', public.calling_role())
    from public.event_cancellations c where c.event_id = p_event_id;
end;
$$;

-- The trigger behind every way of cancelling; a cancelled event stays cancelled
-- (its buyers were told and refunded).
create function public.on_event_status_change() returns trigger
language plpgsql set search_path = '' as $$
begin
  if old.status = 'cancelled' then
    raise exception 'a cancelled event stays cancelled'
      using errcode = '23514', constraint = 'events_cancelled_final',
            hint = 'Create a new event instead';
  end if;
  if new.status = 'cancelled' then
    perform public.start_event_cancellation(new.id);
  end if;
  return null;
end;
$$;
create trigger events_cancellation after update of status on public.events
  for each row when (old.status is distinct from new.status)
  execute function public.on_event_status_change();

-- Marks running cancellations done once no order is left to refund and every
-- decided refund was accepted. Returns how many finished.
create function public.finish_event_cancellations() returns integer
language plpgsql set search_path = '' as $$
declare
  v_done integer;
begin
  update public.event_cancellations c set status = 'done', finished_at = now()
   where c.status = 'running'
     and not exists (select 1 from public.event_cancellation_orders j
                      left join public.refunds r on r.id = j.refund_id
                      where j.event_id = c.event_id
                        and (j.status = 'pending' or r.status = 'pending'));
  get diagnostics v_done = row_count;
  return v_done;
end;
$$;

revoke execute on function
  public.queue_event_cancelled_notices(uuid),
  public.cancel_order(uuid),
  public.cancel_pending_orders(uuid, integer),
  public.refund_cancelled_order(uuid),
  public.refund_cancelled_event_payment(public.orders, text, text, text, integer, text),
  public.start_event_cancellation(uuid),
  public.on_event_status_change(),
  public.finish_event_cancellations()
  from public, anon, authenticated;
grant execute on function
  public.queue_event_cancelled_notices(uuid),
  public.cancel_order(uuid),
  public.cancel_pending_orders(uuid, integer),
  public.refund_cancelled_order(uuid),
  public.refund_cancelled_event_payment(public.orders, text, text, text, integer, text),
  public.start_event_cancellation(uuid),
  public.finish_event_cancellations()
  to service_role;
