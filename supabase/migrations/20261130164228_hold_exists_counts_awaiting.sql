-- The waiting room's one-live-hold rule (hold_exists) counts an order awaiting a
-- slow payment (issue 14 item 4: a cash voucher holds its seats until its
-- deadline) as the live hold it is: a buyer with a voucher pending does not take
-- a second hold through the queue. Otherwise as in the waiting room migration.
create or replace function public.reserve_tickets_guarded(
  p_buyer_id uuid,
  p_event_id uuid,
  p_items jsonb,
  p_idempotency_key text,
  p_request_hash text,
  p_hold_minutes integer,
  p_unpaid_limit integer,
  p_unpaid_window_minutes integer,
  p_admission jsonb default null,
  p_buyer_email text default null,
  p_attendees jsonb default '[]'
) returns jsonb
-- One autocommit statement, like reserve_tickets: the buyer's lock waits are
-- bounded here too.
language plpgsql set search_path = '' set lock_timeout = '2s' as $$
declare
  v_queue public.queue_settings%rowtype;
  v_existing jsonb;
  v_order jsonb;
  v_count integer;
begin
  -- The same buyer-per-event lock reserve_tickets takes (re-entrant): the
  -- one-live-hold and unpaid-hold counts are exact under concurrency.
  perform pg_advisory_xact_lock(hashtextextended(p_buyer_id::text || p_event_id::text, 0));
  v_existing := public.order_for_idempotency_key(p_buyer_id, p_idempotency_key, p_request_hash);
  if v_existing is not null then
    return v_existing;
  end if;
  select * into v_queue from public.queue_settings where event_id = p_event_id and enabled;
  if found then
    if p_admission is null or coalesce(p_admission ->> 'token_id', '') = '' then
      raise exception using errcode = 'CRQ01', message = 'admission_required',
        detail = jsonb_build_object('event_id', p_event_id)::text,
        hint = 'This event sells through its waiting room: join the queue to get an admission token';
    end if;
    insert into public.queue_admissions_used (event_id, user_id, token_id)
    values (p_event_id, p_buyer_id, p_admission ->> 'token_id')
    on conflict do nothing;
    if not found then
      raise exception using errcode = 'CRQ03', message = 'admission_used',
        hint = 'This admission token was already used';
    end if;
    select count(*) into v_count from public.orders o
     where o.buyer_id = p_buyer_id and o.event_id = p_event_id
       and o.status in ('pending', 'awaiting_payment')
       and exists (select 1 from public.order_items oi
                    where oi.order_id = o.id and oi.held_until > now());
    if v_count > 0 then
      raise exception using errcode = 'CRQ04', message = 'hold_exists',
        hint = 'You already hold tickets for this event: pay for them or let them expire';
    end if;
    v_order := public.reserve_tickets(p_buyer_id => p_buyer_id, p_event_id => p_event_id,
      p_items => p_items, p_idempotency_key => p_idempotency_key,
      p_request_hash => p_request_hash,
      p_hold_minutes => least(p_hold_minutes, v_queue.hold_minutes),
      p_buyer_email => p_buyer_email, p_attendees => p_attendees);
    update public.queue_admissions_used set order_id = (v_order ->> 'order_id')::uuid
     where event_id = p_event_id and user_id = p_buyer_id and token_id = p_admission ->> 'token_id';
    return v_order;
  end if;
  select count(*) into v_count from public.orders o
   where o.buyer_id = p_buyer_id and o.event_id = p_event_id and o.status <> 'paid'
     and o.created_at > now() - make_interval(mins => p_unpaid_window_minutes);
  if v_count >= p_unpaid_limit then
    raise exception using errcode = 'CRQ05', message = 'hold_limit_exceeded',
      detail = jsonb_build_object('limit', p_unpaid_limit,
                                  'window_minutes', p_unpaid_window_minutes)::text,
      hint = 'Too many unpaid reservations for this event: pay for one or wait';
  end if;
  return public.reserve_tickets(p_buyer_id => p_buyer_id, p_event_id => p_event_id,
    p_items => p_items, p_idempotency_key => p_idempotency_key, p_request_hash => p_request_hash,
    p_hold_minutes => p_hold_minutes, p_buyer_email => p_buyer_email,
    p_attendees => p_attendees);
end;
$$;
