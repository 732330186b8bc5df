/**
 * Per-event waiting-room settings: Postgres is where they live; the hot path
 * (join, status) reads them, and the stock, from short in-process copies so a
 * poll touches Redis only.
 */
import type { AuthUser } from "../../shared/auth.ts";
import { type Db, db } from "../../shared/db/mod.ts";
import { DomainError } from "../../shared/errors.ts";
import { assertEventRole } from "../../shared/event_access.ts";

export interface QueueSettings {
  event_id: string;
  enabled: boolean;
  prequeue_opens_at: Date;
  starts_at: Date;
  window_seconds: number;
  admit_factor: number;
  hold_minutes: number;
  seed: string;
  seed_sha256: string;
  updated_at: Date;
}

export interface SettingsInput {
  enabled: boolean;
  prequeue_opens_at: string;
  starts_at: string;
  window_seconds?: number;
  admit_factor?: number;
  hold_minutes?: number;
}

// Settings change rarely; a 5 s copy keeps the database off the polling path.
// Another instance sees a change within this time.
const SETTINGS_TTL_MS = 5000;
// The stock drives admissions: fresh enough that a sell-out reaches waiters within
// a poll, while polls cost at most a few queries a second per instance and event.
const AVAILABILITY_TTL_MS = 250;
const MAX_CACHED_EVENTS = 2000;

interface Entry<T> {
  at: number;
  value: Promise<T>;
}

/** A tiny single-flight TTL map: concurrent misses share one load. */
function ttlCache<T>(ttlMs: number, load: (eventId: string) => Promise<T>) {
  const entries = new Map<string, Entry<T>>();
  return {
    get(eventId: string, now = Date.now()): Promise<T> {
      const hit = entries.get(eventId);
      if (hit && now - hit.at < ttlMs) return hit.value;
      if (entries.size >= MAX_CACHED_EVENTS) entries.clear();
      const value = load(eventId);
      entries.set(eventId, { at: now, value });
      value.catch(() => entries.delete(eventId));
      return value;
    },
    forget: (eventId: string) => void entries.delete(eventId),
    clear: () => entries.clear(),
  };
}

async function loadSettings(eventId: string): Promise<QueueSettings | undefined> {
  const sql = await db();
  const [row] = await sql<QueueSettings[]>`
    select event_id, enabled, prequeue_opens_at, starts_at, window_seconds,
           admit_factor::float8 as admit_factor, hold_minutes, seed, seed_sha256, updated_at
      from public.queue_settings where event_id = ${eventId}`;
  return row;
}

export interface Stock {
  available: number;
  atMs: number;
}

async function loadStock(eventId: string): Promise<Stock> {
  const sql = await db();
  const atMs = Date.now();
  const [{ available }] = await sql<{ available: number }[]>`
    select public.event_available(${eventId}) as available`;
  return { available, atMs };
}

const settingsCache = ttlCache(SETTINGS_TTL_MS, loadSettings);
const stockCache = ttlCache(AVAILABILITY_TTL_MS, loadStock);

/** The event's settings (a copy at most SETTINGS_TTL_MS old), or undefined. */
export const cachedSettings = (eventId: string) => settingsCache.get(eventId);
/** Tickets on sale for the event (a snapshot at most AVAILABILITY_TTL_MS old). */
export const cachedStock = (eventId: string) => stockCache.get(eventId);

/**
 * The events whose waiting room is on and started, and not over: what the
 * background admission step (POST /queue/tick) walks. Bounded: a tick is a
 * short call.
 */
export async function queuesOnSale(sql: Db, limit = 200): Promise<string[]> {
  const rows = await sql<{ event_id: string }[]>`
    select q.event_id from public.queue_settings q
      join public.events e on e.id = q.event_id
     where q.enabled and q.starts_at <= now() and e.ends_at > now()
     order by q.starts_at desc
     limit ${limit}`;
  return rows.map((r) => r.event_id);
}

/** Drops every in-process copy (tests change settings behind the cache's back). */
export function clearQueueCachesForTests(): void {
  settingsCache.clear();
  stockCache.clear();
}

/** The settings as staff see them: never the seed before the start. */
export function settingsView(s: QueueSettings, now = new Date()) {
  return {
    event_id: s.event_id,
    enabled: s.enabled,
    prequeue_opens_at: s.prequeue_opens_at.toISOString(),
    starts_at: s.starts_at.toISOString(),
    window_seconds: s.window_seconds,
    admit_factor: s.admit_factor,
    hold_minutes: s.hold_minutes,
    seed_sha256: s.seed_sha256,
    seed: s.starts_at <= now ? s.seed : null,
    updated_at: s.updated_at.toISOString(),
  };
}

/** The settings of an event, for its admins and coordinators; 404 when never set. */
export async function getSettings(sql: Db, user: AuthUser, eventId: string) {
  await assertEventRole(sql, user, eventId, ["coordinator"]);
  const settings = await loadSettings(eventId);
  if (!settings) throw new DomainError("queue_not_found", "This event has no waiting room");
  return settingsView(settings);
}

/**
 * Creates or changes an event's settings (admins, the event's coordinators).
 * The seed is drawn once, when the settings are created; its hash is public
 * from then on. Once the start has passed, the start and the seed are fixed
 * (a trigger refuses the change: 409 `queue_started`).
 */
export async function putSettings(sql: Db, user: AuthUser, eventId: string, input: SettingsInput) {
  await assertEventRole(sql, user, eventId, ["coordinator"]);
  const [event] = await sql`select 1 from public.events where id = ${eventId}`;
  if (!event) throw new DomainError("event_not_found", "No such event");
  const seed = Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  try {
    const [row] = await sql<{ created: boolean }[]>`
      insert into public.queue_settings as q (event_id, enabled, prequeue_opens_at, starts_at,
        window_seconds, admit_factor, hold_minutes, seed)
      values (${eventId}, ${input.enabled}, ${input.prequeue_opens_at}, ${input.starts_at},
        ${input.window_seconds ?? 600}, ${input.admit_factor ?? 1}, ${input.hold_minutes ?? 5},
        ${seed})
      on conflict (event_id) do update set enabled = excluded.enabled,
        prequeue_opens_at = excluded.prequeue_opens_at, starts_at = excluded.starts_at,
        window_seconds = excluded.window_seconds, admit_factor = excluded.admit_factor,
        hold_minutes = excluded.hold_minutes
      returning (xmax = 0) as created`;
    settingsCache.forget(eventId);
    const settings = (await loadSettings(eventId))!;
    return { created: row.created, settings: settingsView(settings) };
  } catch (error) {
    if ((error as { code?: string }).code === "CRQ06") {
      throw new DomainError(
        "queue_started",
        "The queue has started: its start time can no longer change",
      );
    }
    throw error;
  }
}
