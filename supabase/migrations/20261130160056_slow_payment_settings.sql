-- Slow payment methods, per event (issue 14 item 4). Cash vouchers (Rapipago,
-- Pago Fácil: Mercado Pago's payment type `ticket`), ATM payments (`atm`) and
-- bank transfers (`bank_transfer`) are paid hours or days after checkout.
-- Each event chooses what its checkout does with them:
--   excluded  the checkout does not offer them (the preference's
--             payment_methods.excluded_payment_types); the default — see the
--             README "Payments" for why;
--   hold      they are offered, and an order whose payment is pending or in
--             process keeps its tickets held (status awaiting_payment) until
--             the voucher's deadline, at most slow_payment_days after the
--             reservation and never past the event's start.
-- An order takes the policy in force when it is reserved; a later change of
-- the event affects new orders only.
alter table public.events
  add column slow_payments text not null default 'excluded'
    constraint events_slow_payments_check check (slow_payments in ('excluded', 'hold')),
  add column slow_payment_days integer not null default 3
    constraint events_slow_payment_days_check check (slow_payment_days between 1 and 30);
comment on column public.events.slow_payments is
  'excluded: cash vouchers, ATM and bank transfers are not offered at checkout; hold: they are, '
  'and an order with such a payment pending keeps its tickets held until the voucher''s deadline.';
comment on column public.events.slow_payment_days is
  'With slow_payments = hold: days a buyer has to pay a voucher or transfer (Mercado Pago '
  'recommends at least 3); never past the event''s start.';

-- ---------------------------------------------------------------- the order's deadline
-- Mercado Pago credits a voucher up to 2 business hours after it is paid: the
-- hold of an order awaiting such a payment lasts this long past the voucher's
-- deadline, and so the deadline ends this long before the event starts.
create function public.slow_payment_credit_margin() returns interval
language sql immutable set search_path = '' as $$ select interval '2 hours' $$;

-- Until when a slow payment may be made for an order reserved at p_at: the
-- event's slow_payment_days later, and the credit margin before the event
-- starts. Null when the event excludes slow payments, or when less than a day
-- would be left (too short to pay a voucher at a counter: card or account
-- money only then).
create function public.slow_payment_deadline(p_event_id uuid, p_at timestamptz)
returns timestamptz
language sql stable set search_path = '' as $$
  select d.deadline
    from public.events e
   cross join lateral (
     select least(p_at + make_interval(days => e.slow_payment_days),
                  e.starts_at - public.slow_payment_credit_margin()) as deadline) d
   where e.id = p_event_id and e.slow_payments = 'hold'
     and d.deadline >= p_at + interval '1 day'
$$;

alter table public.orders add column slow_payment_deadline timestamptz;
comment on column public.orders.slow_payment_deadline is
  'The last moment a slow payment (cash voucher, ATM, bank transfer) may be made for this order: '
  'the checkout preference''s date_of_expiration. Null: the checkout did not offer them. Set '
  'from the event''s policy when the order is reserved.';

-- The order takes the event's policy when it is reserved (a trigger, so every
-- path that creates an order agrees with the preference its checkout gets).
create function public.set_order_slow_payment_deadline() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.slow_payment_deadline := public.slow_payment_deadline(new.event_id, new.created_at);
  return new;
end;
$$;
create trigger orders_slow_payment_deadline before insert on public.orders
  for each row execute function public.set_order_slow_payment_deadline();

-- What the API answers for an order, as before plus its slow-payment deadline
-- (the checkout's preference needs it, the buyer sees it).
create or replace function public.order_summary(p_order_id uuid, p_replayed boolean default false)
returns jsonb
language sql stable set search_path = '' as $$
  select jsonb_build_object('order_id', o.id, 'status', o.status, 'total', o.total,
    'currency', o.currency::text, 'expires_at', o.expires_at, 'checkout_url', o.checkout_url,
    'slow_payment_deadline', o.slow_payment_deadline,
    'replayed', p_replayed,
    'items', (select coalesce(jsonb_agg(jsonb_build_object(
                'ticket_type_id', oi.ticket_type_id, 'name', t.name, 'quantity', oi.quantity,
                'unit_price', oi.unit_price) order by t.sort_order, t.name), '[]'::jsonb)
                from public.order_items oi join public.ticket_types t on t.id = oi.ticket_type_id
               where oi.order_id = o.id))
    from public.orders o where o.id = p_order_id
$$;

revoke execute on function
  public.slow_payment_credit_margin(),
  public.slow_payment_deadline(uuid, timestamptz),
  public.set_order_slow_payment_deadline()
  from public, anon, authenticated;
grant execute on function
  public.slow_payment_credit_margin(),
  public.slow_payment_deadline(uuid, timestamptz)
  to service_role;
