/**
 * `deno task worker`: the self-hosted scheduler. Runs the periodic jobs
 * (functions/periodic_jobs.ts: the purchases sweep, the mail dispatch, the waiting rooms' admission step) as
 * HTTP calls to the server at FUNCTIONS_BASE_URL with SCHEDULER_SECRET, as
 * pg_cron + pg_net do on Supabase. Any number of servers may run; run one
 * worker (two would only do the work twice: every job is idempotent).
 */
import { config, ConfigError } from "../shared/config.ts";
import { log } from "../shared/log.ts";
import { guardProcess } from "../shared/process_guard.ts";
import { startPeriodicJobs } from "./periodic_jobs.ts";

if (import.meta.main) {
  guardProcess();
  let settings;
  try {
    settings = config();
    if (!settings.isProduction) throw new ConfigError("deno task worker needs APP_ENV=production");
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
  const stop = startPeriodicJobs(fetch, settings.functionsBaseUrl, settings.SCHEDULER_SECRET);
  log.info("worker started", { target: settings.functionsBaseUrl });
  const exit = () => {
    stop();
    log.info("worker stopped");
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", exit);
  Deno.addSignalListener("SIGINT", exit);
}
