/**
 * `deno task dev` stands in for pg_cron: dispatches the outbox every few
 * seconds, so mail queued locally shows up in the logging transport's output
 * (or goes to SendGrid when SENDGRID_API_KEY is set).
 */
import type { Sql } from "../../shared/db.ts";
import { dispatchOutbox } from "../../shared/mail/mod.ts";
import { errorFields, log } from "../../shared/log.ts";

export interface MailLoop {
  stop(): Promise<void>;
}

export function startMailLoop(sql: Sql, { intervalMs = 5000 } = {}): MailLoop {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: Promise<void> = Promise.resolve();
  const tick = () => {
    current = dispatchOutbox(sql, { timeBudgetMs: 10_000 })
      .then((report) => {
        if (report.claimed > 0) log.info("local mail dispatch", { ...report });
      })
      .catch((error) => log.warn("local mail dispatch failed", errorFields(error)))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
