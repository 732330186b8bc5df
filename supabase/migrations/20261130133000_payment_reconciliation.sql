-- Reconciliation of payments whose webhooks never came: one row per order that
-- may have a payment we never heard of (pending, recently expired or failed,
-- paid without a recorded payment). The sweep searches Mercado Pago for each
-- due row and feeds what it finds into the webhook inbox. The row is a retry
-- queue (shared/retry_queue.ts): attempts, next_attempt_at, last_error.
create table public.payment_reconciliations (
  order_id uuid primary key references public.orders (id) on delete cascade,
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  last_error text check (last_error is null or length(last_error) <= 1000),
  checked_at timestamptz,
  -- How many payments the last search found for the order (evidence for an admin).
  payments_found integer check (payments_found is null or payments_found >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.payment_reconciliations is
  'Orders the sweep asks Mercado Pago about (payment search by external_reference), with retry state.';
create index payment_reconciliations_due_idx on public.payment_reconciliations (next_attempt_at);
create trigger payment_reconciliations_touch before update on public.payment_reconciliations
  for each row execute function public.touch_updated_at();

alter table public.payment_reconciliations enable row level security;
revoke all on public.payment_reconciliations from anon, authenticated;
grant all on public.payment_reconciliations to service_role;
grant select on public.payment_reconciliations to authenticated;
create policy payment_reconciliations_admin_read on public.payment_reconciliations
  for select to authenticated using (public.is_admin());
