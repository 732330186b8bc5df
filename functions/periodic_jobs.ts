/**
 * The periodic jobs, as HTTP calls with the scheduler secret: exactly what
 * pg_cron + pg_net send on Supabase (supabase/migrations/*_schedules.sql), so
 * no function code is imported here. The dev gateway runs them in-process;
 * self-hosted, `deno task worker` (functions/worker.ts) runs them against the
 * server.
 */
import { log } from "../shared/log.ts";

export interface PeriodicJob {
  name: string;
  /** Path under the functions' base URL, e.g. /purchases/sweep */
  path: string;
  everyMs: number;
}

export const PERIODIC_JOBS: PeriodicJob[] = [
  // Expire holds, retry failed webhook rows and refunds (pg_cron runs the SQL part on Supabase).
  { name: "purchases-sweep", path: "/purchases/sweep", everyMs: 30_000 },
  // Send queued mail within seconds (the pg_cron + pg_net job does this on Supabase).
  { name: "mail-dispatch", path: "/notifications/dispatch", everyMs: 5_000 },
  // Admit buyers in every waiting room on sale even when nobody polls (polls admit too).
  { name: "queue-admit", path: "/queue/tick", everyMs: 2_000 },
];

/** Starts the jobs; returns a function that stops them. */
export function startPeriodicJobs(
  fetch: (request: Request) => Response | Promise<Response>,
  /** e.g. http://127.0.0.1:54321/functions/v1 */
  functionsBase: string,
  schedulerSecret: string,
  jobs: PeriodicJob[] = PERIODIC_JOBS,
): () => void {
  const timers = jobs.map((job) =>
    setInterval(async () => {
      try {
        const response = await fetch(
          new Request(`${functionsBase}${job.path}`, {
            method: "POST",
            headers: { "x-scheduler-secret": schedulerSecret },
          }),
        );
        const body = await response.text();
        if (!response.ok) {
          log.warn("periodic job failed", { job: job.name, status: response.status });
        } else log.debug("periodic job ran", { job: job.name, result: body.slice(0, 200) });
      } catch (error) {
        log.warn("periodic job failed", { job: job.name, error: String(error) });
      }
    }, job.everyMs)
  );
  return () => timers.forEach(clearInterval);
}
