/**
 * Cancelling an event (admins) and watching its refunds. The status change is
 * the whole act here: the database's cancellation trigger, in the same
 * transaction, revokes every ticket, closes the waiting room, cancels pending
 * orders, queues one notice per buyer and writes a job row per paid order,
 * which the purchases sweep refunds in batches (functions/purchases/cancellation_job.ts).
 */
import { audit } from "../../shared/audit.ts";
import { type Db, type Sql, withTx } from "../../shared/db/mod.ts";
import { DomainError } from "../../shared/errors.ts";
import { kickDispatch } from "../../shared/mail/mod.ts";
import { invalidateCatalog } from "./catalog_cache.ts";
import { assertEventExists, assertStatusChange, lockEvent, setActor } from "./event_service.ts";

export interface CancellationProgress {
  event_id: string;
  title: string;
  /** running until every paid order's refund was accepted by the provider. */
  status: "running" | "done";
  started_at: string;
  finished_at: string | null;
  orders: {
    total: number;
    refunded: number;
    /** Not refunded when their turn came: refunded or disputed before. */
    skipped: number;
    /** Tried and failed; the sweep tries again with backoff. */
    retrying: number;
    /** Not done yet (retrying included). */
    remaining: number;
  };
  refunded_amount: number;
  currency: string;
  tickets_revoked: number;
  buyers_mailed: number;
  last_error: string | null;
}

export interface CancelResult {
  progress: CancellationProgress;
  /** True when the event was cancelled already (nothing was done again). */
  replayed: boolean;
}

/**
 * Cancels the event: sales stop when this commits, refunds follow through the
 * sweep. Idempotent: cancelling a cancelled event returns its progress.
 * Throws event_not_found, invalid_status_transition (a finished event).
 */
export async function cancelEvent(
  sql: Sql,
  actorId: string,
  eventId: string,
): Promise<CancelResult> {
  const replayed = await withTx(sql, async (tx) => {
    // A payment being applied to one of its orders finishes first (pay_order reads the
    // event FOR SHARE), so the job sees that order paid; or it waits and sees the cancellation.
    const before = await lockEvent(tx, eventId, "no key update");
    if (before.status === "cancelled") return true;
    await assertStatusChange(tx, before, "cancelled");
    await setActor(tx, actorId);
    await tx`update public.events set status = 'cancelled' where id = ${eventId}`;
    await audit(tx, {
      actorId,
      action: "event.cancelled",
      entity: "event",
      entityId: eventId,
      data: { from: before.status },
    });
    return false;
  });
  if (!replayed) {
    kickDispatch();
    await invalidateCatalog();
  }
  return { progress: await cancellationProgress(sql, eventId), replayed };
}

interface ProgressRow {
  event_id: string;
  title: string;
  status: "running" | "done";
  started_at: Date;
  finished_at: Date | null;
  total: number;
  refunded: number;
  skipped: number;
  retrying: number;
  remaining: number;
  refunded_amount: string;
  currency: string;
  tickets_revoked: number;
  buyers_mailed: number;
  last_error: string | null;
}

/** Where the refunds of a cancelled event stand; 404 event_not_found / cancellation_not_found. */
export async function cancellationProgress(
  sql: Db,
  eventId: string,
): Promise<CancellationProgress> {
  const [row] = await sql<ProgressRow[]>`
    select * from public.event_cancellation_progress where event_id = ${eventId}`;
  if (!row) {
    await assertEventExists(sql, eventId);
    throw new DomainError("cancellation_not_found", "This event was not cancelled", {
      event_id: eventId,
    });
  }
  return {
    event_id: row.event_id,
    title: row.title,
    status: row.status,
    started_at: row.started_at.toISOString(),
    finished_at: row.finished_at?.toISOString() ?? null,
    orders: {
      total: row.total,
      refunded: row.refunded,
      skipped: row.skipped,
      retrying: row.retrying,
      remaining: row.remaining,
    },
    refunded_amount: Number(row.refunded_amount),
    currency: row.currency,
    tickets_revoked: row.tickets_revoked,
    buyers_mailed: row.buyers_mailed,
    last_error: row.last_error,
  };
}
