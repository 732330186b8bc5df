-- An order awaiting a slow payment that ends unpaid tells its buyer (issue 14
-- item 4): the voucher was cancelled or rejected (fail_order), or its deadline
-- passed with no news (expire_order). The mail (template awaiting_payment_ended)
-- says the held tickets are back on sale and that a payment arriving later still
-- gets tickets or a refund (pay_order's late rule, which mails too). Queued in
-- the transition's transaction, once per order; a pending order that fails or
-- expires (a card rejected, a checkout abandoned) is not mailed, as before.

create function public.queue_awaiting_payment_ended(p_order_id uuid) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_context jsonb := public.order_mail_context(p_order_id);
begin
  if v_context is null then
    return jsonb_build_object('queued', false, 'skipped', 'order not found');
  elsif v_context ->> 'email' is null then
    return jsonb_build_object('queued', false, 'skipped', 'buyer has no email');
  end if;
  return public.enqueue_email(v_context ->> 'email', 'awaiting_payment_ended',
    v_context ->> 'locale', 'awaiting_payment_ended:' || p_order_id,
    v_context -> 'data' || jsonb_build_object('deadline',
      (select to_char(slow_payment_deadline at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
         from public.orders where id = p_order_id)));
end;
$$;

-- fail: as in the awaiting_payment migration, plus the buyer's notice when the
-- order was awaiting the payment that failed.
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
  if v_order.status = 'awaiting_payment' then
    perform public.queue_awaiting_payment_ended(v_order.id);
  end if;
  return public.transition_result(v_order.id, 'failed', null, v_released);
end;
$$;

-- expire: as in the awaiting_payment migration, plus the buyer's notice when the
-- order was awaiting a payment.
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
  if v_order.status = 'awaiting_payment' then
    perform public.queue_awaiting_payment_ended(v_order.id);
  end if;
  return true;
end;
$$;

revoke execute on function public.queue_awaiting_payment_ended(uuid)
  from public, anon, authenticated;
grant execute on function public.queue_awaiting_payment_ended(uuid) to service_role;
