-- await_payment and cancelled events (issue 14). A pending payment (a cash
-- voucher, an ATM payment, a transfer, a card under review) reported for an
-- order of a cancelled event no longer moves it to awaiting_payment (which held
-- its seats until the voucher's deadline, up to days): the order is cancelled
-- there and then (cancel_order: pending or awaiting_payment -> cancelled, holds
-- released, the cancellation job's rule for an unsettled order), and a payment
-- that is still approved later is refunded by pay_order (cancelled -> refunded,
-- reason event_cancelled). Before, the order waited for the next sweep pass to
-- cancel it. Returns cancel_order's result (outcome cancelled) in that case.
-- The rest of the function is the awaiting_payment migration's, unchanged.

create or replace function public.await_payment(
  p_order_id uuid, p_provider text, p_payment_id text, p_provider_status text,
  p_amount integer, p_currency text, p_date_of_expiration timestamptz default null
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
  v_event_status public.event_status;
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
  -- As pay_order: the event row is read FOR SHARE, so a cancellation in progress
  -- finishes first (this payment then sees it), or waits for this transaction (and
  -- then cancels the awaiting order itself, awaiting_payment -> cancelled).
  select status into v_event_status from public.events where id = v_order.event_id for share;
  if v_event_status = 'cancelled' then
    return public.cancel_order(p_order_id => v_order.id);
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
