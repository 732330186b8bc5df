/**
 * Drains the outbox: claims due rows, renders them, sends them through the
 * circuit breaker, and records each attempt. A failed attempt is retried
 * with the shared retry-queue backoff until the row's max_attempts, then the row is
 * `failed` (admins see and re-queue it). Nothing is deleted: invariant 5.
 */
import type { Sql } from "../db/mod.ts";
import { audit } from "../audit.ts";
import { type BreakerState, type CircuitBreaker, CircuitOpenError } from "../circuit_breaker.ts";
import { errorFields, log } from "../log.ts";
import { retryDelayMs } from "../retry_queue.ts";
import {
  claimBatch,
  claimById,
  type ClaimedEmail,
  type EmailStatus,
  failExhaustedLeases,
  markFailed,
  markRetry,
  markSent,
  releaseClaim,
} from "./outbox.ts";
import { type RenderDeps, renderEmail, TemplateError } from "./templates/mod.ts";
import { defaultRenderTicketQr } from "./ticket_qr.ts";
import { mailBreaker, mailTransport } from "./transport.ts";
import type { MailTransport, SendResult } from "./types.ts";

export interface DispatchOptions {
  /** Rows claimed per round trip. */
  batchSize?: number;
  /** Upper bound of rows handled by one call. */
  maxEmails?: number;
  /** Parallel sends within a batch. */
  concurrency?: number;
  /** Longer than a batch can take (batch/concurrency × send timeout); past it, rows are reclaimed. */
  leaseMs?: number;
  /** Backoff between attempts of one row (shared/retry_queue.ts: doubling, capped, jittered). */
  backoff?: { baseMs: number; maxMs: number };
  /** Stop claiming after this long, so a scheduled call ends inside the edge wall-clock limit. */
  timeBudgetMs?: number;
  transport?: MailTransport;
  breaker?: CircuitBreaker;
  renderTicketQr?: RenderDeps["renderTicketQr"];
}

export type StopReason = "breaker_open" | "rate_limited" | "time_budget" | "max_emails";

export interface DispatchReport {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  released: number;
  breaker: BreakerState;
  stopped_by: StopReason | null;
}

/** What happened to one claimed row, with the provider's answer when there was one. */
export interface RowOutcome {
  status: EmailStatus | "released" | "lost";
  result?: SendResult;
  error?: string;
}

const DEFAULTS = {
  batchSize: 20,
  maxEmails: 500,
  concurrency: 4,
  leaseMs: 5 * 60_000,
  backoff: { baseMs: 30_000, maxMs: 60 * 60_000 },
  timeBudgetMs: 45_000,
};

type Resolved = typeof DEFAULTS & {
  transport: MailTransport;
  breaker: CircuitBreaker;
  deps: RenderDeps;
  stop?: StopReason;
};

function resolve(options: DispatchOptions): Resolved {
  return {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    transport: options.transport ?? mailTransport(),
    breaker: options.breaker ?? mailBreaker(),
    deps: { renderTicketQr: options.renderTicketQr ?? defaultRenderTicketQr },
  } as Resolved;
}

/** One dispatch pass: claim, send and settle due mail until none is due or a bound is hit. */
export async function dispatchOutbox(
  sql: Sql,
  options: DispatchOptions = {},
): Promise<DispatchReport> {
  const run = resolve(options);
  const report: DispatchReport = {
    claimed: 0,
    sent: 0,
    retried: 0,
    failed: await failExhaustedLeases(sql),
    released: 0,
    breaker: run.breaker.state,
    stopped_by: null,
  };
  const deadline = performance.now() + run.timeBudgetMs;
  while (!run.stop) {
    if (report.claimed >= run.maxEmails) run.stop = "max_emails";
    else if (performance.now() >= deadline) run.stop = "time_budget";
    else if (run.breaker.state === "open") run.stop = "breaker_open";
    if (run.stop) break;
    const limit = Math.min(run.batchSize, run.maxEmails - report.claimed);
    const batch = await claimBatch(sql, { limit, leaseMs: run.leaseMs });
    if (batch.length === 0) break;
    report.claimed += batch.length;
    const outcomes = await mapPool(batch, run.concurrency, (row) => processRow(sql, row, run));
    for (const outcome of outcomes) tally(report, outcome);
  }
  report.breaker = run.breaker.state;
  report.stopped_by = run.stop === "max_emails" ? null : run.stop ?? null;
  return report;
}

/** Sends one queued row now (admin test mail); undefined when the row is not queued. */
export async function dispatchOne(
  sql: Sql,
  id: string,
  options: DispatchOptions = {},
): Promise<RowOutcome | undefined> {
  const run = resolve(options);
  const row = await claimById(sql, id, run.leaseMs);
  return row ? await processRow(sql, row, run) : undefined;
}

function tally(report: DispatchReport, outcome: RowOutcome): void {
  if (outcome.status === "sent") report.sent++;
  else if (outcome.status === "queued") report.retried++;
  else if (outcome.status === "failed") report.failed++;
  else if (outcome.status === "released") report.released++;
}

async function processRow(sql: Sql, row: ClaimedEmail, run: Resolved): Promise<RowOutcome> {
  // Another row of this pass hit the breaker or a rate limit: give this one back unsent.
  if (run.stop) return await release(sql, row, {});
  let message;
  try {
    message = await renderEmail(row, run.deps);
  } catch (error) {
    const reason = `render: ${errorFields(error).error}`;
    if (error instanceof TemplateError) return await fail(sql, row, reason);
    return await retryLater(sql, row, run, reason, undefined);
  }
  let result: SendResult;
  try {
    result = await run.breaker.run(
      () => run.transport.send(message),
      // A rate limit says SendGrid is up and busy, not down: it must not open the breaker.
      (r) => r.outcome === "retry" && r.retryAfterMs === undefined,
    );
  } catch (error) {
    if (error instanceof CircuitOpenError) {
      run.stop = "breaker_open";
      return await release(sql, row, { error: error.message });
    }
    result = { outcome: "retry", status: undefined, error: errorFields(error).error as string };
  }
  return await settle(sql, row, run, result);
}

async function settle(
  sql: Sql,
  row: ClaimedEmail,
  run: Resolved,
  result: SendResult,
): Promise<RowOutcome> {
  if (result.outcome === "sent") {
    const ok = await markSent(sql, row, result.messageId);
    return { status: ok ? "sent" : lost(row), result };
  }
  if (result.outcome === "failed") return { ...(await fail(sql, row, result.error)), result };
  if (result.retryAfterMs !== undefined) {
    // 429: every send until the reset would be refused too, so the whole pass pauses.
    run.stop = "rate_limited";
    return {
      ...(await release(sql, row, { delayMs: result.retryAfterMs, error: result.error })),
      result,
    };
  }
  return { ...(await retryLater(sql, row, run, result.error, result)), result };
}

async function retryLater(
  sql: Sql,
  row: ClaimedEmail,
  run: Resolved,
  error: string,
  result: SendResult | undefined,
): Promise<RowOutcome> {
  const delayMs = retryDelayMs(row.attempts, run.backoff);
  const status = await markRetry(sql, row, { delayMs, error });
  if (status === "failed") await auditFailure(sql, row, error);
  log.warn("email attempt failed", {
    outbox_id: row.id,
    attempt: row.attempts,
    next_in_ms: status === "queued" ? delayMs : undefined,
    status,
    provider_status: result?.status,
    error,
  });
  return { status: status ?? lost(row), error };
}

async function fail(sql: Sql, row: ClaimedEmail, error: string): Promise<RowOutcome> {
  const ok = await markFailed(sql, row, error);
  if (ok) await auditFailure(sql, row, error);
  log.error("email failed permanently", { outbox_id: row.id, template: row.template, error });
  return { status: ok ? "failed" : lost(row), error };
}

async function release(
  sql: Sql,
  row: ClaimedEmail,
  options: { delayMs?: number; error?: string },
): Promise<RowOutcome> {
  const ok = await releaseClaim(sql, row, options);
  return { status: ok ? "released" : lost(row), error: options.error };
}

function auditFailure(sql: Sql, row: ClaimedEmail, error: string): Promise<void> {
  return audit(sql, {
    actorId: null,
    action: "email.failed",
    entity: "email_outbox",
    entityId: row.id,
    data: { template: row.template, attempts: row.attempts, error: error.slice(0, 300) },
  });
}

/** The lease expired and another dispatcher took the row over; it now owns the outcome. */
function lost(row: ClaimedEmail): "lost" {
  log.warn("email claim lost (lease expired)", { outbox_id: row.id });
  return "lost";
}

/** Maps with at most `limit` promises in flight, keeping input order. */
async function mapPool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
