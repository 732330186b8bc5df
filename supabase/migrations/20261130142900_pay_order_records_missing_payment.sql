-- Reconciliation finds payments for orders marked paid without one (legacy or
-- hand-edited data): pay_order records such a matching payment as the order's
-- instead of refunding it as a duplicate. Otherwise as in the order transitions.
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
  if v_order.status not in ('pending', 'expired', 'failed') then
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
