-- The waiting room's background admission step (issue 17): POST /queue/tick
-- every 2 seconds, so admissions do not wait for polls to arrive (an expired
-- window, seats come back). Same caller and Vault secrets as the other jobs
-- (the schedules migration's private.call_scheduled_job); where that caller
-- or pg_cron is missing, nothing is created and a WARNING says so: the step
-- then needs `deno task worker` (functions/periodic_jobs.ts runs it too).

do $queue_admit$
begin
  if to_regnamespace('cron') is null
     or to_regprocedure('private.call_scheduled_job(text)') is null then
    raise warning 'crodify schedule crodify-queue-admit NOT created (no pg_cron or no '
      'private.call_scheduled_job): /queue/tick must be called by `deno task worker` '
      'or another scheduler (README, "Schedules").';
    return;
  end if;
  begin
    -- cron.schedule(name, …) replaces a job of the same name, so re-running is safe.
    perform cron.schedule('crodify-queue-admit', '2 seconds',
      'select private.call_scheduled_job(''/queue/tick'')');
  exception when others then
    -- pg_cron before 1.5 (Debian's 1.4) has no second-level schedules: polls still admit.
    perform cron.schedule('crodify-queue-admit', '* * * * *',
      'select private.call_scheduled_job(''/queue/tick'')');
    raise warning 'crodify schedule crodify-queue-admit runs every minute, not every 2 seconds: '
      'this pg_cron (%) has no second-level schedules',
      (select extversion from pg_extension where extname = 'pg_cron');
  end;
end
$queue_admit$;
