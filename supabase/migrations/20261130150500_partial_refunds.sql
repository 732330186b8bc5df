-- Partial refunds: an admin refunds some tickets of a paid order. Those tickets
-- are revoked and their places go back on sale, the rest stay valid; the money
-- for them is refunded through Mercado Pago's partial refund (`amount`); the
-- order tracks what was refunded and becomes `refunded` when its last ticket goes.

alter table public.orders
  add column refunded_amount integer not null default 0
    constraint orders_refunded_amount_range check (refunded_amount >= 0 and refunded_amount <= total);
comment on column public.orders.refunded_amount is
  'Money refunded to the buyer by partial refunds (minor units); the whole total once refunded so.';

-- A payment may now have several refunds, one per part: `part` is null for a
-- whole-payment refund and names the tickets of a partial one (the idempotency of
-- "refund these tickets": the same set asked twice finds its row).
alter table public.refunds
  add column part text check (part is null or length(part) <= 100);
alter table public.refunds drop constraint refunds_provider_provider_payment_id_key;
alter table public.refunds add constraint refunds_payment_part_key
  unique nulls not distinct (provider, provider_payment_id, part);
alter table public.refunds drop constraint refunds_reason_check;
alter table public.refunds add constraint refunds_reason_check
  check (reason in ('capacity_unavailable', 'duplicate_payment', 'amount_mismatch',
                    'provider_refund', 'admin', 'partial'));

-- As in the order transitions, with the conflict target that includes `part`
-- (whole-payment refunds have part null, and nulls are not distinct).
create or replace function public.record_refund(
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
  on conflict (provider, provider_payment_id, part) do update
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

-- refund (part): an admin refunds some tickets of a paid order. Each ticket must
-- be this order's and valid. They are revoked (sold -= n), the refund of their
-- price decided (pending, asked of the provider after commit with `amount`), the
-- order's refunded_amount raised, the buyer's notice queued; with its last ticket
-- the order becomes refunded. The same tickets asked again: unchanged.
-- Raises CRP10 order_not_found, CRP11 order_not_refundable, CRP12 tickets_not_refundable.
-- outcome: partially_refunded | refunded (refund_ids: the pending refund) | unchanged.
create function public.refund_tickets(p_order_id uuid, p_ticket_ids uuid[], p_actor_id uuid)
returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_order public.orders%rowtype;
  v_part text;
  v_refund_id uuid;
  v_amount integer;
  v_count integer;
  v_left integer;
  v_context jsonb;
begin
  select * into v_order from public.orders where id = p_order_id for update;
  if not found then
    raise exception using errcode = 'CRP10', message = 'order_not_found', hint = 'No such order';
  end if;
  v_part := 'tickets:' || md5(array_to_string(array(
    select distinct t from unnest(p_ticket_ids) t order by 1), ','));
  if exists (select 1 from public.refunds
              where order_id = v_order.id and provider_payment_id = v_order.provider_payment_id
                and part = v_part) then
    return public.transition_result(v_order.id, 'unchanged');
  end if;
  if v_order.status <> 'paid' or v_order.provider_payment_id is null then
    raise exception using errcode = 'CRP11', message = 'order_not_refundable',
      detail = jsonb_build_object('order_id', v_order.id, 'status', v_order.status)::text,
      hint = 'Only a paid order can be refunded';
  end if;
  select count(*)::integer into v_count from public.tickets
   where id = any (p_ticket_ids) and order_id = v_order.id and status = 'valid';
  if v_count = 0 or v_count <> cardinality(array(select distinct unnest(p_ticket_ids))) then
    raise exception using errcode = 'CRP12', message = 'tickets_not_refundable',
      detail = jsonb_build_object('order_id', v_order.id, 'refundable', v_count)::text,
      hint = 'Every ticket must be a valid ticket of this order';
  end if;
  -- Types in id order (FOR NO KEY UPDATE, as every transition), then the tickets.
  perform 1 from public.ticket_types t
   where t.id in (select oi.ticket_type_id from public.order_items oi where oi.order_id = v_order.id)
   order by t.id
     for no key update;
  with revoked as (
    update public.tickets set status = 'revoked', revoked_at = now(), revoke_reason = 'refunded'
     where id = any (p_ticket_ids) and order_id = v_order.id and status = 'valid'
    returning ticket_type_id
  ), per_type as (
    select ticket_type_id, count(*)::integer as n from revoked group by ticket_type_id
  ), released as (
    update public.ticket_types t set sold = t.sold - p.n from per_type p
     where t.id = p.ticket_type_id
    returning p.ticket_type_id, p.n
  )
  select coalesce(sum(r.n * oi.unit_price), 0)::integer into v_amount
    from released r join public.order_items oi
      on oi.order_id = v_order.id and oi.ticket_type_id = r.ticket_type_id;
  insert into public.refunds (order_id, provider, provider_payment_id, amount, currency, reason,
                              status, part)
  values (v_order.id, v_order.payment_provider, v_order.provider_payment_id, v_amount,
          v_order.currency, 'partial', 'pending', v_part)
  returning id into v_refund_id;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (p_actor_id, 'refund.decided', 'refund', v_refund_id::text,
          jsonb_build_object('order_id', v_order.id, 'payment_id', v_order.provider_payment_id,
                             'reason', 'partial', 'tickets', to_jsonb(p_ticket_ids),
                             'amount', v_amount));
  select count(*)::integer into v_left from public.tickets
   where order_id = v_order.id and status = 'valid';
  update public.orders set refunded_amount = refunded_amount + v_amount where id = v_order.id;
  if v_left = 0 then
    update public.orders set status = 'refunded', failure_reason = 'admin' where id = v_order.id;
  end if;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values (p_actor_id, case when v_left = 0 then 'order.refunded' else 'order.partially_refunded' end,
          'order', v_order.id::text,
          jsonb_build_object('refund_id', v_refund_id, 'tickets_revoked', v_count,
                             'amount', v_amount, 'tickets_left', v_left));
  -- One notice per partial refund, with its amount.
  v_context := public.order_mail_context(v_order.id);
  if v_context ->> 'email' is not null then
    perform public.enqueue_email(v_context ->> 'email', 'refund_notice', v_context ->> 'locale',
      'refund_notice:' || v_order.id || ':' || v_refund_id,
      v_context -> 'data' || jsonb_build_object('amount', v_amount));
  end if;
  return public.transition_result(v_order.id,
    case when v_left = 0 then 'refunded' else 'partially_refunded' end, v_refund_id,
    array(select distinct ticket_type_id from public.tickets
           where id = any (p_ticket_ids) order by 1));
end;
$$;

-- refund (whole order) as in the order transitions, for what partial refunds left.
create or replace function public.refund_order(p_order_id uuid, p_actor_id uuid, p_reason text default 'admin')
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
  -- What partial refunds gave back already is not refunded twice.
  v_refund_id := public.record_refund(v_order.id, v_order.payment_provider,
    v_order.provider_payment_id, v_order.total - v_order.refunded_amount, v_order.currency,
    p_reason, 'pending', p_actor_id);
  update public.orders set refunded_amount = total where id = v_order.id;
  -- What the provider last said of the payment stays: the refund does not change it.
  v_released := public.mark_order_refunded(v_order, v_order.provider_payment_id,
    coalesce(v_order.provider_status, 'approved'), p_reason, p_actor_id);
  return public.transition_result(v_order.id, 'refunded', v_refund_id, v_released);
end;
$$;

update public.order_transitions set via = via || ', refund_tickets'
 where from_status = 'paid' and to_status = 'refunded';

revoke execute on function public.refund_tickets(uuid, uuid[], uuid) from public, anon, authenticated;
grant execute on function public.refund_tickets(uuid, uuid[], uuid) to service_role;
