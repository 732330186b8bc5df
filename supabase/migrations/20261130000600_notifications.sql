-- Notifications: the durable email outbox (DESIGN.md invariant 5: no email is
-- lost) and, on Supabase, the pg_cron + pg_net schedule that calls the
-- dispatch endpoint. Rows are written in the same transaction as the change
-- that causes them; the dispatcher claims them with FOR UPDATE SKIP LOCKED.

create type public.email_status as enum ('queued', 'sending', 'sent', 'failed');

create table public.email_outbox (
  id uuid primary key default gen_random_uuid(),
  recipient text not null
    check (length(recipient) <= 320 and recipient ~ '^[^@\s]+@[^@\s]+$'),
  template text not null check (template ~ '^[a-z][a-z0-9_]{0,63}$'),
  data jsonb not null default '{}'::jsonb check (jsonb_typeof(data) = 'object'),
  locale text not null default 'es' check (locale in ('es', 'en')),
  -- The cause of the mail (e.g. order_confirmation:<order id>). UNIQUE, so a
  -- retried or replayed transaction can never queue the same mail twice.
  dedupe_key text not null unique check (length(dedupe_key) between 1 and 300),
  status public.email_status not null default 'queued',
  -- Incremented when a dispatcher claims the row, so a mail that crashes its
  -- dispatcher still counts against max_attempts (no poison-message loop).
  attempts integer not null default 0 check (attempts >= 0),
  max_attempts integer not null default 8 check (max_attempts between 1 and 50),
  next_attempt_at timestamptz not null default now(),
  -- Lease of a 'sending' row: past it, the dispatcher that claimed the row is
  -- presumed dead and another may claim it again (crash recovery).
  locked_until timestamptz,
  -- Written at each claim; a dispatcher may only settle the row it claimed.
  claim_token uuid,
  last_error text check (last_error is null or length(last_error) <= 1000),
  last_attempt_at timestamptz,
  provider_message_id text,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint email_outbox_sending_has_lease
    check ((status = 'sending') = (locked_until is not null)),
  constraint email_outbox_sent_has_time check ((status = 'sent') = (sent_at is not null))
);
comment on table public.email_outbox is
  'Durable outbox of transactional email. A row stays until SendGrid accepted it (sent) or it '
  'failed after max_attempts (failed: visible to admins, re-queueable).';
comment on column public.email_outbox.dedupe_key is
  'What caused the mail; unique so the same cause never queues twice.';
comment on column public.email_outbox.locked_until is
  'Lease of a sending row; an expired lease makes the row claimable again.';

-- The dispatcher's two scans: due queued rows and expired leases.
create index email_outbox_due_idx on public.email_outbox (next_attempt_at)
  where status = 'queued';
create index email_outbox_lease_idx on public.email_outbox (locked_until)
  where status = 'sending';
create index email_outbox_failed_idx on public.email_outbox (created_at desc)
  where status = 'failed';
create trigger email_outbox_touch before update on public.email_outbox
  for each row execute function public.touch_updated_at();

alter table public.email_outbox enable row level security;
revoke all on public.email_outbox from anon, authenticated;
grant all on public.email_outbox to service_role;
-- Admins may read the outbox from Studio/PostgREST; every write goes through the API.
grant select on public.email_outbox to authenticated;
create policy email_outbox_admin_read on public.email_outbox
  for select to authenticated using (public.is_admin());

-- ------------------------------------------------------------ dispatch schedule
-- Supabase: pg_cron calls POST /functions/v1/notifications/dispatch every
-- minute through pg_net, with the project URL and scheduler secret read from
-- Vault at run time (secrets 'project_url' and 'scheduler_secret'). Dynamic
-- SQL, so this file also applies where the extensions (and schemas) are absent.
create function public.schedule_email_dispatch(p_schedule text default '* * * * *')
returns void
language plpgsql set search_path = '' as $fn$
begin
  if (select count(*) from pg_extension where extname in ('pg_cron', 'pg_net')) < 2 then
    raise notice 'pg_cron and pg_net are not both enabled; email dispatch not scheduled';
    return;
  end if;
  execute format($sql$select cron.schedule('crodify-email-dispatch', %L, %L)$sql$,
    p_schedule, $job$
    select net.http_post(
      url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')
             || '/functions/v1/notifications/dispatch',
      headers := jsonb_build_object(
        'content-type', 'application/json',
        'x-scheduler-secret',
        (select decrypted_secret from vault.decrypted_secrets where name = 'scheduler_secret')),
      body := '{}'::jsonb,
      timeout_milliseconds := 60000)
    $job$);
end;
$fn$;
comment on function public.schedule_email_dispatch(text) is
  'Schedules the outbox dispatch call with pg_cron + pg_net; a no-op without both extensions.';
revoke execute on function public.schedule_email_dispatch(text) from public, anon, authenticated;

select public.schedule_email_dispatch();
