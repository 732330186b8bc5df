/**
 * Periodic jobs of the local gateway, standing in for pg_cron / Supabase
 * scheduled invocations: each is an HTTP call through the gateway, exactly
 * what a production scheduler sends, so no function code is imported here.
 */
import { log } from "../../shared/log.ts";

export interface DevLoop {
  name: string;
  /** Path under the gateway, e.g. /functions/v1/purchases/sweep */
  path: string;
  everyMs: number;
}

export const DEV_LOOPS: DevLoop[] = [
  // Expire holds, retry failed webhook rows and refunds (pg_cron runs the SQL part on Supabase).
  { name: "purchases-sweep", path: "/functions/v1/purchases/sweep", everyMs: 30_000 },
  // Send queued mail within seconds (the pg_cron + pg_net job does this on Supabase).
  { name: "mail-dispatch", path: "/functions/v1/notifications/dispatch", everyMs: 5_000 },
];

/** Starts the loops; returns a function that stops them. */
export function startDevLoops(
  fetch: (request: Request) => Response | Promise<Response>,
  origin: string,
  schedulerSecret: string,
  loops: DevLoop[] = DEV_LOOPS,
): () => void {
  const timers = loops.map((loop) =>
    setInterval(async () => {
      try {
        const response = await fetch(
          new Request(`${origin}${loop.path}`, {
            method: "POST",
            headers: { "x-scheduler-secret": schedulerSecret },
          }),
        );
        const body = await response.text();
        if (!response.ok) log.warn("dev loop failed", { loop: loop.name, status: response.status });
        else log.debug("dev loop ran", { loop: loop.name, result: body.slice(0, 200) });
      } catch (error) {
        log.warn("dev loop failed", { loop: loop.name, error: String(error) });
      }
    }, loop.everyMs)
  );
  return () => timers.forEach(clearInterval);
}
