-- Schedules: pg_cron runs every periodic job of functions/periodic_jobs.ts as an
-- HTTP POST through pg_net, reading the project URL and the scheduler secret
-- from Supabase Vault when the job runs (the names the README always used:
-- 'project_url', 'scheduler_secret'). So the jobs exist right after
-- `supabase db push`, whatever was set up by hand before, and the secrets may
-- be stored before or after it with one SQL call (README, "Schedules"):
--   select vault.create_secret('https://<ref>.supabase.co', 'project_url'),
--          vault.create_secret('<SCHEDULER_SECRET>', 'scheduler_secret');
-- Until both are stored every run fails with an error naming them
-- (cron.job_run_details). Reconciliation with Mercado Pago runs inside the sweep.
-- Replaces public.schedule_email_dispatch() (notifications migration), which
-- scheduled only when the extensions predated `db push`.
--
-- Where pg_cron, pg_net or Vault is missing (plain PostgreSQL, PGlite, a server
-- without pg_cron in shared_preload_libraries) nothing is created and a WARNING
-- says what is missing: the jobs then need `deno task worker` or an external cron.

do $schedules$
declare
  missing text[] := '{}';
  ext record;
  job record;
begin
  for ext in
    select * from (values
      ('pg_cron', 'create extension if not exists pg_cron'),
      ('pg_net', 'create extension if not exists pg_net with schema extensions'),
      ('supabase_vault', 'create extension if not exists supabase_vault with schema vault')
    ) as e (name, ddl)
  loop
    -- Already there (Supabase enables Vault; a test may stand in for pg_net).
    if (ext.name = 'supabase_vault' and to_regclass('vault.decrypted_secrets') is not null)
       or (ext.name = 'pg_net' and exists (select 1 from pg_proc p
             join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'net' and p.proname = 'http_post')) then
      continue;
    end if;
    if not exists (select 1 from pg_available_extensions where name = ext.name) then
      missing := missing || format('%s (not installed on this server)', ext.name);
      continue;
    end if;
    begin
      execute ext.ddl;
    exception when others then
      -- e.g. pg_cron not in shared_preload_libraries, or cron.database_name is another database.
      missing := missing || format('%s (%s)', ext.name, sqlerrm);
    end;
  end loop;
  if to_regclass('vault.decrypted_secrets') is null
     and not exists (select 1 from unnest(missing) m where m like 'supabase_vault%') then
    missing := missing || 'vault.decrypted_secrets (absent)'::text;
  end if;

  if cardinality(missing) > 0 then
    drop function if exists public.schedule_email_dispatch(text);
    raise warning 'crodify schedules NOT created, missing: %. The periodic jobs '
      '(/purchases/sweep, /notifications/dispatch) must be called by `deno task worker` '
      'or another scheduler (README, "Schedules").', array_to_string(missing, '; ');
    return;
  end if;

  create schema if not exists private;
  revoke all on schema private from public;

  -- One scheduled call; fails loudly until both Vault secrets exist.
  create or replace function private.call_scheduled_job(p_path text) returns bigint
  language plpgsql set search_path = '' as $fn$
  declare
    base_url text;
    secret text;
  begin
    select decrypted_secret into base_url
      from vault.decrypted_secrets where name = 'project_url';
    select decrypted_secret into secret
      from vault.decrypted_secrets where name = 'scheduler_secret';
    if base_url is null or secret is null then
      raise exception 'Vault secrets project_url and scheduler_secret must both be set '
        '(README, "Schedules")';
    end if;
    return net.http_post(
      url := rtrim(base_url, '/') || '/functions/v1' || p_path,
      body := '{}'::jsonb,
      headers := jsonb_build_object(
        'Content-Type', 'application/json', 'x-scheduler-secret', secret),
      timeout_milliseconds := 10000
    );
  end;
  $fn$;
  revoke execute on function private.call_scheduled_job(text) from public;
  drop function if exists public.schedule_email_dispatch(text);

  -- Same paths and periods as the dev gateway's loops. The names are the ones the
  -- README's hand-made jobs had, so cron.schedule replaces those instead of doubling them.
  for job in
    select * from (values
      ('crodify-purchases-sweep', '/purchases/sweep', 30),
      ('crodify-email-dispatch', '/notifications/dispatch', 5)
    ) as j (name, path, seconds)
  loop
    declare
      command text := format('select private.call_scheduled_job(%L)', job.path);
    begin
      -- cron.schedule(name, …) replaces a job of the same name, so re-running is safe.
      perform cron.schedule(job.name, job.seconds || ' seconds', command);
    exception when others then
      -- pg_cron before 1.5 (Debian's 1.4) has no second-level schedules.
      perform cron.schedule(job.name, '* * * * *', command);
      raise warning 'crodify schedule % runs every minute, not every % seconds: '
        'this pg_cron (%) has no second-level schedules', job.name, job.seconds,
        (select extversion from pg_extension where extname = 'pg_cron');
    end;
  end loop;
  -- Expiry in SQL as well: it needs no Vault secret, so orders expire even before they are stored.
  perform cron.schedule('crodify-sweep-expired-orders', '* * * * *',
    'select public.sweep_expired_orders()');
  raise notice 'crodify schedules created: crodify-purchases-sweep, crodify-email-dispatch, '
    'crodify-sweep-expired-orders';
end
$schedules$;
