-- Orders as a state machine in the database (DESIGN.md invariant 7). Every
-- change of orders.status is one of the transitions listed in
-- public.order_transitions, made by the SQL function named there, which locks
-- the order, checks the move, changes capacity and tickets, writes the audit
-- row and queues the mail in the caller's transaction. A trigger refuses any
-- other change of status, a hand edit in Studio included. TypeScript calls
-- these functions (with named arguments) and maps their outcomes.
--
-- A transition function returns jsonb: {order_id, outcome, refund_ids,
-- released_types}; outcome 'unchanged' when the order is already past the
-- move (a late or repeated notification). refund_ids are refunds decided here
-- and still to be asked of the provider after commit; released_types are
-- ticket types with places back on sale (their sold-out flags may go).
--
-- To add a transition (issue 14: awaiting_payment, dispute, cancel, partial
-- refunds): insert its rows into order_transitions in a new migration and
-- write its function beside these, with the same shape and outcome.

-- ---------------------------------------------------------------- the transition table
create table public.order_transitions (
  from_status text not null,
  to_status text not null,
  -- The SQL function that makes this move.
  via text not null,
  note text not null default '',
  primary key (from_status, to_status)
);
comment on table public.order_transitions is
  'Every allowed change of orders.status; the orders_status_guard trigger refuses the rest.';
insert into public.order_transitions (from_status, to_status, via, note) values
  ('pending', 'paid', 'pay_order', 'payment approved, tickets issued'),
  ('expired', 'paid', 'pay_order', 'approved after the hold expired, capacity remained'),
  ('failed', 'paid', 'pay_order', 'another payment approved after a rejected one'),
  ('pending', 'failed', 'fail_order', 'payment rejected or cancelled'),
  ('pending', 'expired', 'expire_order', 'hold expired unpaid (sweep)'),
  ('pending', 'refunded', 'pay_order', 'approved with no capacity left: refund decided'),
  ('expired', 'refunded', 'pay_order', 'as from pending'),
  ('failed', 'refunded', 'pay_order', 'as from pending'),
  ('paid', 'refunded', 'refund_order, apply_provider_refund',
   'refunded by an admin or at the provider; tickets revoked');
-- Planned moves (issue 14) are added with their functions and enum values:
-- pending → cancelled (cancel_order), pending → awaiting_payment, paid → disputed
-- (dispute_order); a partial refund keeps the order paid.

alter table public.order_transitions enable row level security;
revoke all on public.order_transitions from anon, authenticated;
grant all on public.order_transitions to service_role;
grant select on public.order_transitions to authenticated;
create policy order_transitions_read on public.order_transitions
  for select to authenticated using (true);

create function public.guard_order_status() returns trigger
language plpgsql set search_path = '' as $$
begin
  if not exists (select 1 from public.order_transitions
                  where from_status = old.status::text and to_status = new.status::text) then
    raise exception 'order status may not change from % to %', old.status, new.status
      using errcode = '23514', constraint = 'orders_status_transition',
            hint = 'See public.order_transitions for the allowed moves and their functions';
  end if;
  return new;
end;
$$;
create trigger orders_status_guard before update of status on public.orders
  for each row when (old.status is distinct from new.status)
  execute function public.guard_order_status();

-- ---------------------------------------------------------------- mail (outbox)
-- One outbox row per cause (dedupe_key), in the caller's transaction; the
-- SQL twin of shared/mail/outbox.ts enqueueEmail. Returns {id, queued}.
create function public.enqueue_email(
  p_recipient text, p_template text, p_locale text, p_dedupe_key text, p_data jsonb
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_id uuid;
begin
  insert into public.email_outbox (recipient, template, data, locale, dedupe_key)
  values (btrim(p_recipient), p_template, p_data, p_locale, p_dedupe_key)
  on conflict (dedupe_key) do nothing
  returning id into v_id;
  if v_id is not null then
    return jsonb_build_object('id', v_id, 'queued', true);
  end if;
  select id into v_id from public.email_outbox where dedupe_key = p_dedupe_key;
  return jsonb_build_object('id', v_id, 'queued', false);
end;
$$;

-- What an order's mails show: recipient, language, event (as the templates read it).
create function public.order_mail_context(p_order_id uuid) returns jsonb
language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'email', coalesce(o.buyer_email, u.email),
    'locale', case when u.raw_user_meta_data ->> 'locale' ilike 'en%' then 'en' else 'es' end,
    'data', jsonb_build_object(
      'order_id', o.id,
      'buyer_name', coalesce(p.display_name, u.raw_user_meta_data ->> 'display_name'),
      'currency', o.currency::text,
      'event', jsonb_build_object(
        'id', e.id, 'title', e.title, 'venue', e.venue, 'time_zone', e.time_zone,
        'starts_at', to_char(e.starts_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))))
    from public.orders o
    join public.events e on e.id = o.event_id
    join auth.users u on u.id = o.buyer_id
    left join public.profiles p on p.id = o.buyer_id
   where o.id = p_order_id
$$;

-- Queues the paid order's confirmation with its valid tickets (once per order).
-- Returns {id, queued} or {queued: false, skipped: reason}.
create function public.queue_order_confirmation(p_order_id uuid) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_context jsonb := public.order_mail_context(p_order_id);
  v_tickets jsonb;
begin
  if v_context is null then
    return jsonb_build_object('queued', false, 'skipped', 'order not found');
  elsif v_context ->> 'email' is null then
    return jsonb_build_object('queued', false, 'skipped', 'buyer has no email');
  end if;
  select jsonb_agg(jsonb_build_object('id', t.id, 'event_id', t.event_id, 'type_name', tt.name,
                                      'attendee_name', t.attendee_name)
                   order by tt.sort_order, t.issued_at, t.id)
    into v_tickets
    from public.tickets t join public.ticket_types tt on tt.id = t.ticket_type_id
   where t.order_id = p_order_id and t.status = 'valid';
  if v_tickets is null then
    return jsonb_build_object('queued', false, 'skipped', 'order has no tickets');
  end if;
  return public.enqueue_email(v_context ->> 'email', 'order_confirmation', v_context ->> 'locale',
    'order_confirmation:' || p_order_id,
    v_context -> 'data' || jsonb_build_object(
      'total', (select total from public.orders where id = p_order_id), 'tickets', v_tickets));
end;
$$;

-- Queues the refund notice of an order, for its whole total (once per order).
create function public.queue_refund_notice(p_order_id uuid) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_context jsonb := public.order_mail_context(p_order_id);
begin
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

-- ---------------------------------------------------------------- refunds and issuance
-- Records a refund of one payment (UNIQUE per payment: a retried decision finds
-- its row). 'pending' is a decision the provider has not accepted yet (the
-- sweep retries it); 'succeeded' is a refund the provider reports. Returns the
-- refund's id while it is pending, else null.
create function public.record_refund(
  p_order_id uuid, p_provider text, p_payment_id text, p_amount integer, p_currency text,
  p_reason text, p_status text, p_actor_id uuid default null
) returns uuid
language plpgsql set search_path = '' as $$
declare
  v_id uuid;
  v_status text;
begin
  insert into public.refunds (order_id, provider, provider_payment_id, amount, currency, reason,
                              status)
  values (p_order_id, p_provider, p_payment_id, p_amount, p_currency, p_reason, p_status)
  on conflict (provider, provider_payment_id) do update
    set status = case when excluded.status = 'succeeded' then 'succeeded'
                      else public.refunds.status end
  returning id, status into v_id, v_status;
  if v_status <> 'pending' then
    return null;
  end if;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (p_actor_id, 'refund.decided', 'refund', v_id::text,
          jsonb_build_object('order_id', p_order_id, 'payment_id', p_payment_id,
                             'reason', p_reason));
  return v_id;
end;
$$;

-- Issues an order's tickets: releases its holds, then, when every line still
-- fits (after releasing the type's expired holds if needed), adds to sold and
-- inserts one ticket per person, numbered 1..n (a UNIQUE makes a second
-- issuance impossible). Returns the number issued, or null when capacity is
-- gone (nothing sold then). The caller holds the order's row lock.
create or replace function public.issue_order_tickets(p_order_id uuid) returns integer
language plpgsql set search_path = '' as $$
declare
  v_line record;
  v_issued integer;
begin
  -- Every type of the order, in id order, before anything else.
  perform 1 from public.ticket_types t
   where t.id in (select oi.ticket_type_id from public.order_items oi where oi.order_id = p_order_id)
   order by t.id
     for no key update;
  perform public.release_order_holds(p_order_id);
  for v_line in
    select oi.ticket_type_id, oi.quantity from public.order_items oi
     where oi.order_id = p_order_id order by oi.ticket_type_id
  loop
    -- Locks the type (id order) and checks room; expired holds of others give way.
    update public.ticket_types set sold = sold + v_line.quantity
     where id = v_line.ticket_type_id and held + sold + v_line.quantity <= capacity;
    if not found then
      perform public.release_expired_holds(v_line.ticket_type_id);
      update public.ticket_types set sold = sold + v_line.quantity
       where id = v_line.ticket_type_id and held + sold + v_line.quantity <= capacity;
      if not found then
        -- Undo this order's lines sold above; its holds stay released.
        update public.ticket_types t set sold = t.sold - oi.quantity
          from public.order_items oi
         where oi.order_id = p_order_id and t.id = oi.ticket_type_id
           and oi.ticket_type_id < v_line.ticket_type_id;
        return null;
      end if;
    end if;
  end loop;
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
-- As before, with the types locked FOR NO KEY UPDATE (see the held counter migration).
create or replace function public.revoke_order_tickets(p_order_id uuid, p_reason text)
returns integer
language plpgsql set search_path = '' as $$
declare
  v_revoked integer;
begin
  perform 1 from public.ticket_types t
   where t.id in (select oi.ticket_type_id from public.order_items oi where oi.order_id = p_order_id)
   order by t.id
     for no key update;
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

-- The common end of every move to 'refunded': tickets revoked (sold -= n), any
-- hold released, the status, the audit row, the buyer's notice. Returns the
-- order's ticket types (their places are on sale again).
create function public.mark_order_refunded(
  p_order public.orders, p_payment_id text, p_provider_status text, p_reason text,
  p_actor_id uuid default null
) returns uuid[]
language plpgsql set search_path = '' as $$
declare
  v_revoked integer;
begin
  v_revoked := public.revoke_order_tickets(p_order.id, p_reason);
  perform public.release_order_holds(p_order.id);
  update public.orders
     set status = 'refunded', provider_payment_id = coalesce(provider_payment_id, p_payment_id),
         provider_status = p_provider_status, failure_reason = p_reason
   where id = p_order.id;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (p_actor_id, 'order.refunded', 'order', p_order.id::text,
          jsonb_build_object('payment_id', p_payment_id, 'reason', p_reason,
                             'tickets_revoked', v_revoked, 'was', p_order.status));
  perform public.queue_refund_notice(p_order.id);
  return array(select distinct ticket_type_id from public.order_items
                where order_id = p_order.id order by 1);
end;
$$;

create function public.transition_result(
  p_order_id uuid, p_outcome text, p_refund_id uuid default null,
  p_released_types uuid[] default '{}'
) returns jsonb
language sql immutable set search_path = '' as $$
  select jsonb_build_object('order_id', p_order_id, 'outcome', p_outcome,
    'refund_ids', case when p_refund_id is null then '[]'::jsonb
                       else jsonb_build_array(p_refund_id) end,
    'released_types', to_jsonb(coalesce(p_released_types, '{}')))
$$;

-- ---------------------------------------------------------------- the transitions
-- pay: an approved payment (re-read from the provider) for the order. Issues
-- the tickets once; a second approved payment, or one of the wrong amount, is
-- refunded; approved after the places were sold meanwhile: refunded and the
-- order refunded (invariant 3). outcome: paid | refund_requested | unchanged | unknown_order.
create function public.pay_order(
  p_order_id uuid, p_provider text, p_payment_id text, p_provider_status text,
  p_amount integer, p_currency text
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
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
  if v_order.status not in ('pending', 'expired', 'failed') then
    if v_order.provider_payment_id = p_payment_id then
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

-- fail: the order's payment was rejected or cancelled. Only a pending order
-- fails; its holds are released. outcome: failed | unchanged | unknown_order.
create function public.fail_order(
  p_order_id uuid, p_provider text, p_payment_id text, p_provider_status text,
  p_payment_status text
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
  v_released uuid[];
begin
  select * into v_order from public.orders where id = p_order_id for update;
  if not found or v_order.payment_provider <> p_provider then
    return public.transition_result(null, 'unknown_order');
  end if;
  if v_order.status <> 'pending' then
    return public.transition_result(v_order.id, 'unchanged');
  end if;
  v_released := public.release_order_holds(v_order.id);
  update public.orders
     set status = 'failed', provider_payment_id = coalesce(provider_payment_id, p_payment_id),
         provider_status = p_provider_status, failure_reason = 'payment_' || p_payment_status
   where id = v_order.id;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (null, 'order.failed', 'order', v_order.id::text,
          jsonb_build_object('payment_id', p_payment_id, 'payment_status', p_provider_status));
  return public.transition_result(v_order.id, 'failed', null, v_released);
end;
$$;

-- expire: a pending order past expires_at. Skips an order whose row is locked
-- (a payment being applied decides its fate). Returns true when it expired it.
create function public.expire_order(p_order_id uuid) returns boolean
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
begin
  select * into v_order from public.orders
   where id = p_order_id and status = 'pending' and expires_at <= now()
     for update skip locked;
  if not found then
    return false;
  end if;
  perform public.release_order_holds(v_order.id);
  update public.orders set status = 'expired', failure_reason = 'hold_expired'
   where id = v_order.id;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (null, 'order.expired', 'order', v_order.id::text, '{}'::jsonb);
  return true;
end;
$$;

-- The sweep: expires pending orders past expires_at, oldest first, releasing
-- every hold the reservations left (pg_cron runs it every minute).
create or replace function public.sweep_expired_orders(p_limit integer default 1000)
returns integer
language plpgsql set search_path = '' as $$
declare
  v_id uuid;
  v_count integer := 0;
begin
  for v_id in
    select id from public.orders
     where status = 'pending' and expires_at <= now()
     order by expires_at
     limit p_limit
  loop
    if public.expire_order(v_id) then
      v_count := v_count + 1;
    end if;
  end loop;
  return v_count;
end;
$$;

-- refund (decided here): an admin refunds a paid order in full. The refund of
-- its payment is recorded pending (asked of the provider after commit), the
-- order refunded. Raises CRP10 order_not_found, CRP11 order_not_refundable.
-- outcome: refunded (refund_ids: the pending refund) | unchanged (already refunded).
create function public.refund_order(p_order_id uuid, p_actor_id uuid, p_reason text default 'admin')
returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
  v_refund_id uuid;
  v_released uuid[];
begin
  select * into v_order from public.orders where id = p_order_id for update;
  if not found then
    raise exception using errcode = 'CRP10', message = 'order_not_found',
      hint = 'No such order';
  end if;
  if v_order.status = 'refunded' then
    return public.transition_result(v_order.id, 'unchanged');
  end if;
  if v_order.status <> 'paid' or v_order.provider_payment_id is null then
    raise exception using errcode = 'CRP11', message = 'order_not_refundable',
      detail = jsonb_build_object('order_id', v_order.id, 'status', v_order.status)::text,
      hint = 'Only a paid order can be refunded';
  end if;
  v_refund_id := public.record_refund(v_order.id, v_order.payment_provider,
    v_order.provider_payment_id, v_order.total, v_order.currency, p_reason, 'pending', p_actor_id);
  -- What the provider last said of the payment stays: the refund does not change it.
  v_released := public.mark_order_refunded(v_order, v_order.provider_payment_id,
    coalesce(v_order.provider_status, 'approved'), p_reason, p_actor_id);
  return public.transition_result(v_order.id, 'refunded', v_refund_id, v_released);
end;
$$;

-- refund (observed): the provider reports a payment refunded or charged back.
-- Only the payment that paid the order can unpay it: a refund of any other
-- (a wrong amount or a duplicate we refunded, a payment never accepted) is
-- recorded as succeeded and changes nothing. outcome: refunded | unchanged | unknown_order.
create function public.apply_provider_refund(
  p_order_id uuid, p_provider text, p_payment_id text, p_provider_status text,
  p_payment_status text, p_amount integer, p_currency text
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
  v_released uuid[];
begin
  select * into v_order from public.orders where id = p_order_id for update;
  if not found or v_order.payment_provider <> p_provider then
    return public.transition_result(null, 'unknown_order');
  end if;
  perform public.record_refund(v_order.id, p_provider, p_payment_id, p_amount,
    coalesce(nullif(p_currency, ''), v_order.currency), 'provider_refund', 'succeeded');
  if v_order.status <> 'paid' or v_order.provider_payment_id is distinct from p_payment_id then
    return public.transition_result(v_order.id, 'unchanged');
  end if;
  v_released := public.mark_order_refunded(v_order, p_payment_id, p_provider_status,
                                           p_payment_status);
  return public.transition_result(v_order.id, 'refunded', null, v_released);
end;
$$;

-- A pending order that never got a checkout URL is deleted with its holds (the
-- buyer may retry with the same Idempotency-Key). An order a concurrent replay
-- attached a preference to is left alone. Returns true when it was released.
create function public.release_unpaid_order(p_order_id uuid, p_reason text) returns boolean
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
begin
  select * into v_order from public.orders
   where id = p_order_id and status = 'pending' and checkout_url is null
     for update;
  if not found then
    return false;
  end if;
  perform public.release_order_holds(v_order.id);
  delete from public.orders where id = v_order.id;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (null, 'order.released', 'order', v_order.id::text,
          jsonb_build_object('reason', p_reason));
  return true;
end;
$$;

-- The provider accepted a pending refund (after commit of its decision).
create function public.mark_refund_requested(p_refund_id uuid, p_provider_refund_id text)
returns boolean
language plpgsql set search_path = '' as $$
declare
  v_order_id uuid;
begin
  update public.refunds
     set status = 'requested', provider_refund_id = nullif(p_provider_refund_id, ''),
         requested_at = now(), attempts = attempts + 1, last_error = null
   where id = p_refund_id and status = 'pending'
  returning order_id into v_order_id;
  if not found then
    return false;
  end if;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (null, 'refund.requested', 'refund', p_refund_id::text,
          jsonb_build_object('order_id', v_order_id, 'provider_refund_id', p_provider_refund_id));
  return true;
end;
$$;

revoke execute on function
  public.guard_order_status(),
  public.enqueue_email(text, text, text, text, jsonb),
  public.order_mail_context(uuid),
  public.queue_order_confirmation(uuid),
  public.queue_refund_notice(uuid),
  public.record_refund(uuid, text, text, integer, text, text, text, uuid),
  public.issue_order_tickets(uuid),
  public.mark_order_refunded(public.orders, text, text, text, uuid),
  public.transition_result(uuid, text, uuid, uuid[]),
  public.pay_order(uuid, text, text, text, integer, text),
  public.fail_order(uuid, text, text, text, text),
  public.expire_order(uuid),
  public.sweep_expired_orders(integer),
  public.refund_order(uuid, uuid, text),
  public.apply_provider_refund(uuid, text, text, text, text, integer, text),
  public.release_unpaid_order(uuid, text),
  public.mark_refund_requested(uuid, text)
  from public, anon, authenticated;
grant execute on function
  public.enqueue_email(text, text, text, text, jsonb),
  public.order_mail_context(uuid),
  public.queue_order_confirmation(uuid),
  public.queue_refund_notice(uuid),
  public.record_refund(uuid, text, text, integer, text, text, text, uuid),
  public.issue_order_tickets(uuid),
  public.mark_order_refunded(public.orders, text, text, text, uuid),
  public.transition_result(uuid, text, uuid, uuid[]),
  public.pay_order(uuid, text, text, text, integer, text),
  public.fail_order(uuid, text, text, text, text),
  public.expire_order(uuid),
  public.sweep_expired_orders(integer),
  public.refund_order(uuid, uuid, text),
  public.apply_provider_refund(uuid, text, text, text, text, integer, text),
  public.release_unpaid_order(uuid, text),
  public.mark_refund_requested(uuid, text)
  to service_role;
