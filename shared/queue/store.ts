/**
 * The waiting room's Redis side (Upstash REST through @upstash/redis): one
 * script call per operation, a bounded wait, and any failure turned into
 * 503 `queue_unavailable` with Retry-After. Unlike the cache, the queue fails
 * closed: without Redis nobody new is admitted (Postgres still guards every
 * hold, so capacity is never at risk either way).
 */
import type { Redis } from "@upstash/redis";
import { config } from "../config.ts";
import { DomainError } from "../errors.ts";
import { log } from "../log.ts";
import {
  ADMIT_SCRIPT,
  JOIN_SCRIPT,
  SETTLE_SCRIPT,
  STATS_SCRIPT,
  STATUS_SCRIPT,
  USE_SCRIPT,
} from "./scripts.ts";

export const QUEUE_RETRY_AFTER_SECONDS = 5;
const TIMEOUT_MS = 2000;

export interface QueueClock {
  nowMs: number;
  startsMs: number;
  windowMs: number;
  /** Admit while active buyers < factor × available (two decimals, as stored). */
  factor: number;
  available: number;
  availableAtMs: number;
}

export type RawState = "none" | "waiting" | "admitted" | "used" | "expired";

export interface QueueView {
  state: RawState;
  place: number;
  /** 0-based rank among those waiting; -1 when unknown (pre-queue) or not waiting. */
  rank: number;
  admittedAtMs: number;
  untilMs: number;
  admittedTotal: number;
  firstAdmitMs: number;
  soldOut: boolean;
  waiting: number;
  /** join only: a new place was made. */
  created?: boolean;
}

export interface QueueStats {
  active: number;
  using: number;
  waiting: number;
  admitted: number;
  soldOut: boolean;
  /** Seats asked for by the buyers in `using`, taken off every stock snapshot. */
  usingSeats: number;
}

export const queueUnavailable = () =>
  new DomainError(
    "queue_unavailable",
    "The waiting room is unavailable right now, please retry shortly",
    { retry_after_seconds: QUEUE_RETRY_AFTER_SECONDS },
  );

type ScriptName = "join" | "status" | "use" | "settle" | "stats" | "admit";
type Script = { exec(keys: string[], args: string[]): Promise<unknown> };

export interface QueueStore {
  join(eventId: string, userId: string, clock: QueueClock, seed: string): Promise<QueueView>;
  /** Admits whoever is due, then the view of each user, in order: one script call. */
  status(eventId: string, userIds: string[], clock: QueueClock): Promise<QueueView[]>;
  /** Moves an admitted buyer (asking for `seats`) from active to using; false if not active. */
  use(
    eventId: string,
    userId: string,
    nowMs: number,
    usingTtlMs: number,
    seats: number,
  ): Promise<boolean>;
  /** After the purchase: the buyer stops counting `lingerMs` from now. */
  settle(eventId: string, userId: string, nowMs: number, lingerMs: number): Promise<void>;
  stats(eventId: string, nowMs: number): Promise<QueueStats>;
  /** The background admission step: admits whoever is due, returns the stats after it. */
  admit(eventId: string, clock: QueueClock): Promise<QueueStats>;
}

/** Keys of one event's queue; the hash tag keeps them in one slot on a cluster. */
export const queueKeys = (eventId: string) =>
  ["line", "users", "active", "using", "meta", "seats"].map((k) =>
    `crodify:queue:{${eventId}}:${k}`
  );

const KEY_TTL_SECONDS = 14 * 24 * 3600;

/** A store on an Upstash REST endpoint. */
export function upstashQueueStore(url: string, token: string): QueueStore {
  let scripts: Promise<Record<ScriptName, Script>> | undefined;
  const load = () =>
    scripts ??= import("@upstash/redis").then(({ Redis }) => {
      const redis: Redis = new Redis({
        url,
        token,
        enableTelemetry: false,
        automaticDeserialization: false,
        // The scripts answer ASCII only (states, digits, uuids): no base64 to encode and
        // decode on every poll.
        responseEncoding: false,
        // Fail in one bounded wait: a dead Redis must become a 503, not a hung request.
        retry: { retries: 0 },
        signal: () => AbortSignal.timeout(TIMEOUT_MS),
      });
      return {
        join: redis.createScript(JOIN_SCRIPT),
        status: redis.createScript(STATUS_SCRIPT),
        use: redis.createScript(USE_SCRIPT),
        settle: redis.createScript(SETTLE_SCRIPT),
        stats: redis.createScript(STATS_SCRIPT),
        admit: redis.createScript(ADMIT_SCRIPT),
      };
    });
  const run = async (name: ScriptName, keys: string[], args: string[]) => {
    try {
      return await (await load())[name].exec(keys, args);
    } catch (error) {
      log.warn("queue redis call failed", {
        op: name,
        error: String(error instanceof Error ? error.message : error).slice(0, 200),
      });
      throw queueUnavailable();
    }
  };
  const clockArgs = (userId: string, c: QueueClock) =>
    [
      c.nowMs,
      userId,
      c.startsMs,
      c.windowMs,
      Math.round(c.factor * 100),
      c.available,
      c.availableAtMs,
    ]
      .map(String);
  return {
    async join(eventId, userId, clock, seed) {
      const args = [...clockArgs(userId, clock), seed, String(KEY_TTL_SECONDS)];
      return toView(await run("join", queueKeys(eventId), args) as unknown[]);
    },
    async status(eventId, userIds, clock) {
      const args = [...clockArgs("", clock), ...userIds];
      return (await run("status", queueKeys(eventId), args) as unknown[][]).map(toView);
    },
    async use(eventId, userId, nowMs, usingTtlMs, seats) {
      const args = [nowMs, userId, usingTtlMs, seats, KEY_TTL_SECONDS].map(String);
      return Number(await run("use", queueKeys(eventId), args)) === 1;
    },
    async settle(eventId, userId, nowMs, lingerMs) {
      await run("settle", queueKeys(eventId), [String(nowMs), userId, String(lingerMs)]);
    },
    async stats(eventId, nowMs) {
      return toStats(await run("stats", queueKeys(eventId), [String(nowMs), ""]) as unknown[]);
    },
    async admit(eventId, clock) {
      return toStats(await run("admit", queueKeys(eventId), clockArgs("", clock)) as unknown[]);
    },
  };
}

function toStats(raw: unknown[]): QueueStats {
  const r = raw.map(Number);
  return {
    active: r[0],
    using: r[1],
    waiting: r[2],
    admitted: r[3],
    soldOut: r[4] === 1,
    usingSeats: r[5],
  };
}

function toView(r: unknown[]): QueueView {
  const n = (i: number) => Number(r[i]);
  return {
    state: String(r[0]) as RawState,
    place: n(1),
    rank: n(2),
    admittedAtMs: n(3),
    untilMs: n(4),
    admittedTotal: n(5),
    firstAdmitMs: n(6),
    soldOut: n(7) === 1,
    waiting: n(8),
    ...(r.length > 9 ? { created: n(9) === 1 } : {}),
  };
}

/** A store that always fails: the queue needs Redis, and without it stays closed. */
const unavailableStore: QueueStore = {
  join: () => Promise.reject(queueUnavailable()),
  status: () => Promise.reject(queueUnavailable()),
  use: () => Promise.reject(queueUnavailable()),
  settle: () => Promise.reject(queueUnavailable()),
  stats: () => Promise.reject(queueUnavailable()),
  admit: () => Promise.reject(queueUnavailable()),
};

let singleton: QueueStore | undefined;

/** The process's queue store, on UPSTASH_REDIS_REST_URL (none configured: always 503). */
export function queueStore(): QueueStore {
  if (singleton) return singleton;
  const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = config();
  if (!url || !token) {
    log.warn("UPSTASH_REDIS_REST_URL is not set: the waiting room answers 503 queue_unavailable");
    return singleton = unavailableStore;
  }
  return singleton = upstashQueueStore(url, token);
}

/** Swaps the store (tests point it at a proxy they can kill); undefined re-reads config. */
export function setQueueStoreForTests(store: QueueStore | undefined): void {
  singleton = store;
}
