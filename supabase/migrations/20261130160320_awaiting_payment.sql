-- Orders awaiting a slow payment (issue 14 item 4). When the event's policy is
-- `hold` (see the slow payment settings migration), a buyer may pay by cash
-- voucher (Rapipago, Pago Fácil), ATM or bank transfer; Mercado Pago then
-- reports the payment `pending` until it is paid, hours or days later (and
-- `in_process` while a card payment is under review). Such a payment moves
-- its order to awaiting_payment: the order keeps its holds (the held counter
-- does not change, so capacity stays reserved) until the payment's deadline
-- plus the crediting margin, never past the order's slow_payment_deadline.
-- Then, as for any order:
--   approved          → paid, tickets issued (pay_order);
--   cancelled/rejected (the voucher expired unpaid) → failed, places back (fail_order);
--   the deadline passed with no news → expired, places back (the sweep, expire_order);
--   approved after that → today's rule: tickets if capacity remains, else
--   refunded, the buyer mailed either way (pay_order).

insert into public.order_transitions (from_status, to_status, via, note) values
  ('pending', 'awaiting_payment', 'await_payment',
   'a slow payment pending (voucher, ATM, transfer, card under review): held until its deadline'),
  ('awaiting_payment', 'paid', 'pay_order', 'the awaited payment (or another) approved'),
  ('awaiting_payment', 'refunded', 'pay_order',
   'approved after its holds gave way and the places sold: refund decided'),
  ('awaiting_payment', 'failed', 'fail_order',
   'the awaited payment cancelled or rejected (a voucher expired unpaid): places back'),
  ('awaiting_payment', 'expired', 'expire_order', 'the deadline passed unpaid (sweep): places back');

-- The sweep finds awaiting orders past their deadline through this index (the
-- pending ones through orders_pending_expiry_idx).
create index orders_awaiting_payment_expiry_idx on public.orders (expires_at)
  where status = 'awaiting_payment';

-- ---------------------------------------------------------------- the transition
-- await: a payment of the order is pending or in process (re-read from the
-- provider). Moves a pending order to awaiting_payment and holds its tickets
-- until the payment's deadline (p_date_of_expiration, or the order's own
-- deadline when the payment has none) plus the crediting margin, bounded by the
-- order's slow_payment_deadline; a newer slow payment of an awaiting order
-- becomes the awaited one (its hold never shortens). Changes nothing when the
-- order's checkout did not offer slow payments, the amount is not the order's,
-- the payment was refunded, the deadline has passed, or a line's hold already
-- gave way (the order then expires, and a late approval follows pay_order's
-- rule). outcome: awaiting_payment | unchanged | unknown_order.
create function public.await_payment(
  p_order_id uuid, p_provider text, p_payment_id text, p_provider_status text,
  p_amount integer, p_currency text, p_date_of_expiration timestamptz default null
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
  v_until timestamptz;
  v_lines integer;
  v_held integer;
begin
  -- The order's row lock serialises every notification about it.
  select * into v_order from public.orders where id = p_order_id for update;
  if not found or v_order.payment_provider <> p_provider then
    return public.transition_result(null, 'unknown_order');
  end if;
  if p_provider_status not in ('pending', 'in_process')
     or v_order.status not in ('pending', 'awaiting_payment')
     or v_order.slow_payment_deadline is null
     or p_amount <> v_order.total or p_currency <> v_order.currency
     or (v_order.status = 'awaiting_payment' and v_order.provider_payment_id = p_payment_id)
     or exists (select 1 from public.refunds
                 where provider = p_provider and provider_payment_id = p_payment_id) then
    return public.transition_result(v_order.id, 'unchanged');
  end if;
  v_until := least(coalesce(p_date_of_expiration, v_order.slow_payment_deadline),
                   v_order.slow_payment_deadline) + public.slow_payment_credit_margin();
  if v_until <= now() then
    return public.transition_result(v_order.id, 'unchanged');
  end if;
  -- The lines are locked before they are checked: a reservation releasing
  -- expired holds skips locked lines (release_expired_holds), so none gives way
  -- between this check and the update. The held counter is not touched: the
  -- tickets stay counted as held, only for longer.
  perform 1 from public.order_items where order_id = v_order.id
   order by ticket_type_id for no key update;
  select count(*)::integer, count(held_until)::integer into v_lines, v_held
    from public.order_items where order_id = v_order.id;
  if v_held < v_lines then
    return public.transition_result(v_order.id, 'unchanged');
  end if;
  update public.order_items set held_until = greatest(held_until, v_until)
   where order_id = v_order.id;
  update public.orders
     set status = 'awaiting_payment', expires_at = greatest(expires_at, v_until),
         provider_payment_id = p_payment_id, provider_status = p_provider_status
   where id = v_order.id;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (null, 'order.awaiting_payment', 'order', v_order.id::text,
          jsonb_build_object('payment_id', p_payment_id, 'payment_status', p_provider_status,
                             'date_of_expiration', p_date_of_expiration,
                             'held_until', greatest(v_order.expires_at, v_until),
                             'was', v_order.status));
  return public.transition_result(v_order.id, 'awaiting_payment');
end;
$$;

-- ---------------------------------------------------------------- the transitions it joins
-- pay: as in pay_order_records_missing_payment, an awaiting order pays like a pending one.
create or replace function public.pay_order(
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

-- fail: as in the order transitions, plus: an awaiting order fails when the
-- payment it awaits is cancelled or rejected (a voucher that expired unpaid);
-- another payment of it failing (a card tried beside the voucher) changes nothing.
create or replace function public.fail_order(
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
  if not (v_order.status = 'pending'
          or (v_order.status = 'awaiting_payment' and v_order.provider_payment_id = p_payment_id))
  then
    return public.transition_result(v_order.id, 'unchanged');
  end if;
  v_released := public.release_order_holds(v_order.id);
  update public.orders
     set status = 'failed', provider_payment_id = coalesce(provider_payment_id, p_payment_id),
         provider_status = p_provider_status, failure_reason = 'payment_' || p_payment_status
   where id = v_order.id;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (null, 'order.failed', 'order', v_order.id::text,
          jsonb_build_object('payment_id', p_payment_id, 'payment_status', p_provider_status,
                             'was', v_order.status));
  return public.transition_result(v_order.id, 'failed', null, v_released);
end;
$$;

-- expire: a pending order past expires_at, or an awaiting one past its
-- deadline (expires_at was moved to it). Skips an order whose row is locked (a
-- payment being applied decides its fate). Returns true when it expired it.
create or replace function public.expire_order(p_order_id uuid) returns boolean
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
begin
  select * into v_order from public.orders
   where id = p_order_id and status in ('pending', 'awaiting_payment') and expires_at <= now()
     for update skip locked;
  if not found then
    return false;
  end if;
  perform public.release_order_holds(v_order.id);
  update public.orders
     set status = 'expired',
         failure_reason = case when v_order.status = 'awaiting_payment' then 'payment_deadline_passed'
                               else 'hold_expired' end
   where id = v_order.id;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (null, 'order.expired', 'order', v_order.id::text,
          case when v_order.status = 'awaiting_payment'
               then jsonb_build_object('was', v_order.status,
                                       'payment_id', v_order.provider_payment_id)
               else '{}'::jsonb end);
  return true;
end;
$$;

-- The sweep: expires pending orders past their hold and awaiting ones past their
-- deadline, oldest first, each through its partial index (pg_cron runs it every minute).
create or replace function public.sweep_expired_orders(p_limit integer default 1000)
returns integer
language plpgsql set search_path = '' as $$
declare
  v_id uuid;
  v_count integer := 0;
begin
  for v_id in
    select id from (
      (select id, expires_at from public.orders
        where status = 'pending' and expires_at <= now() order by expires_at limit p_limit)
      union all
      (select id, expires_at from public.orders
        where status = 'awaiting_payment' and expires_at <= now() order by expires_at limit p_limit)
    ) due
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

revoke execute on function
  public.await_payment(uuid, text, text, text, integer, text, timestamptz)
  from public, anon, authenticated;
grant execute on function
  public.await_payment(uuid, text, text, text, integer, text, timestamptz)
  to service_role;
