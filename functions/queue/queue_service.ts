/**
 * Joining the waiting room and polling it. Each call is one Redis script
 * (shared/queue/store.ts) fed with the time, the seed and the stock from
 * in-process copies: no database query on a poll, beyond a stock refresh a
 * few times a second per instance. Polls of one event that arrive while its
 * previous script call is on the wire share the next one (coalesce.ts).
 */
import { DomainError } from "../../shared/errors.ts";
import { coalesce } from "../../shared/queue/coalesce.ts";
import { type QueueClock, queueStore, type QueueView } from "../../shared/queue/store.ts";
import { signAdmission } from "../../shared/queue/tokens.ts";
import { cachedSettings, cachedStock, type QueueSettings } from "./settings_service.ts";

export type QueueState = "waiting" | "admitted" | "expired" | "sold_out" | "closed";

export interface QueueStatus {
  event_id: string;
  state: QueueState;
  pre_queue: boolean;
  position: number | null;
  people_ahead: number | null;
  estimated_wait_seconds: number | null;
  poll_after_seconds: number;
  starts_at: string;
  admission: { token: string; expires_at: string } | null;
  token_used: boolean;
}

async function openSettings(eventId: string): Promise<QueueSettings> {
  const settings = await cachedSettings(eventId);
  if (!settings) throw new DomainError("queue_not_found", "This event has no waiting room");
  return settings;
}

async function clockFor(settings: QueueSettings, nowMs: number): Promise<QueueClock> {
  const stock = await cachedStock(settings.event_id);
  return {
    nowMs,
    startsMs: settings.starts_at.getTime(),
    windowMs: settings.window_seconds * 1000,
    factor: settings.admit_factor,
    available: stock.available,
    availableAtMs: stock.atMs,
  };
}

/** Takes (or returns) the user's place. 409 `queue_closed` / `queue_not_open`. */
export async function joinQueue(eventId: string, userId: string, nowMs = Date.now()) {
  const settings = await openSettings(eventId);
  if (!settings.enabled) throw new DomainError("queue_closed", "The waiting room is closed");
  if (nowMs < settings.prequeue_opens_at.getTime()) {
    throw new DomainError("queue_not_open", "The waiting room is not open yet", {
      opens_at: settings.prequeue_opens_at.toISOString(),
    });
  }
  const clock = await clockFor(settings, nowMs);
  const view = await queueStore().join(eventId, userId, clock, settings.seed);
  return { created: view.created === true, status: await present(settings, userId, view, nowMs) };
}

interface Polled {
  view: QueueView;
  nowMs: number;
}

/** One status script for every poll of the event in this batch, at the time it goes out. */
const pollTogether = coalesce<string, Polled>(async (eventId, userIds) => {
  const settings = await openSettings(eventId);
  const nowMs = Date.now();
  const views = await queueStore().status(eventId, userIds, await clockFor(settings, nowMs));
  return views.map((view) => ({ view, nowMs }));
});

/** Where the user stands, with an admission token once admitted. 404 `not_in_queue`. */
export async function queueStatus(eventId: string, userId: string) {
  const settings = await openSettings(eventId);
  if (!settings.enabled) return closedStatus(settings);
  const { view, nowMs } = await pollTogether(eventId, userId);
  if (view.state === "none") {
    throw new DomainError("not_in_queue", "Join the waiting room first");
  }
  return await present(settings, userId, view, nowMs);
}

/**
 * The background admission step for every queue on sale now: admits whoever
 * is due even when nobody polls (an expired window, a seat come back). Run by
 * the scheduler (POST /queue/tick); polls and joins admit as well.
 */
export async function admitDue(eventIds: string[], nowMs = Date.now()) {
  const results = [];
  for (const eventId of eventIds) {
    const settings = await cachedSettings(eventId);
    if (!settings?.enabled || nowMs < settings.starts_at.getTime()) continue;
    const s = await queueStore().admit(eventId, await clockFor(settings, nowMs));
    results.push({
      event_id: eventId,
      active: s.active,
      using: s.using,
      waiting: s.waiting,
      admitted: s.admitted,
      sold_out: s.soldOut,
      using_seats: s.usingSeats,
    });
  }
  return results;
}

function closedStatus(settings: QueueSettings): QueueStatus {
  return {
    event_id: settings.event_id,
    state: "closed",
    pre_queue: false,
    position: null,
    people_ahead: null,
    estimated_wait_seconds: null,
    poll_after_seconds: 60,
    starts_at: settings.starts_at.toISOString(),
    admission: null,
    token_used: false,
  };
}

async function present(
  settings: QueueSettings,
  userId: string,
  view: QueueView,
  nowMs: number,
): Promise<QueueStatus> {
  const preQueue = nowMs < settings.starts_at.getTime();
  const waiting = view.state === "waiting";
  const ahead = waiting && view.rank >= 0 ? view.rank : null;
  const state: QueueState = waiting
    ? (view.soldOut ? "sold_out" : "waiting")
    : view.state === "expired"
    ? "expired"
    : "admitted";
  const admission = view.state === "admitted"
    ? {
      token: await signAdmission({
        eventId: settings.event_id,
        userId,
        tokenId: `${view.place}.${view.admittedAtMs}`,
        expiresAt: Math.floor(view.untilMs / 1000),
      }),
      expires_at: new Date(Math.floor(view.untilMs / 1000) * 1000).toISOString(),
    }
    : null;
  return {
    event_id: settings.event_id,
    state,
    pre_queue: waiting && preQueue,
    position: ahead === null ? null : ahead + 1,
    people_ahead: ahead,
    estimated_wait_seconds: ahead === null ? null : estimateWait(view, ahead, nowMs),
    poll_after_seconds: pollAfter(state, ahead, preQueue, settings.window_seconds),
    starts_at: settings.starts_at.toISOString(),
    admission,
    token_used: view.state === "used",
  };
}

/** People ahead over the admission rate seen so far; null before anyone was admitted. */
function estimateWait(view: QueueView, ahead: number, nowMs: number): number | null {
  if (ahead === 0) return 0;
  if (view.admittedTotal === 0 || view.firstAdmitMs === 0) return null;
  const perSecond = view.admittedTotal / Math.max(1, (nowMs - view.firstAdmitMs) / 1000);
  return Math.ceil(ahead / perSecond);
}

/**
 * How soon to poll again: close to the front (or sold out, which may change)
 * often enough that news arrives within seconds; far back, less often. A
 * waiter never waits more than half an admission window between polls: a
 * line that moves fast could admit them, and the window would lapse unseen.
 */
export function pollAfter(
  state: QueueState,
  ahead: number | null,
  preQueue: boolean,
  windowSeconds: number,
): number {
  if (state === "admitted") return Math.min(10, halfWindow(windowSeconds));
  if (state === "expired" || state === "closed") return 60;
  if (state === "sold_out") return 5;
  if (preQueue || ahead === null) return Math.min(5, halfWindow(windowSeconds));
  // Far back, nothing changes for a while: tens of thousands polling every 2 s
  // would be most of the load.
  const far = ahead > 5000 ? 15 : ahead > 1000 ? 10 : ahead > 100 ? 5 : 2;
  return Math.min(far, halfWindow(windowSeconds));
}

const halfWindow = (windowSeconds: number) => Math.max(1, Math.floor(windowSeconds / 2));

/** What anyone may check: the seed's hash before the start, the seed after it. */
export async function fairness(eventId: string, nowMs = Date.now()) {
  const settings = await openSettings(eventId);
  const revealed = nowMs >= settings.starts_at.getTime();
  return {
    event_id: eventId,
    starts_at: settings.starts_at.toISOString(),
    seed_sha256: settings.seed_sha256,
    seed: revealed ? settings.seed : null,
    algorithm: "Joins before starts_at are ordered by the integer value of the first 11 hex " +
      "digits of sha1(seed + ':' + user_id), ties by user_id; later joins follow in join order. " +
      "seed_sha256 is sha256 of the seed's hex text.",
  };
}
