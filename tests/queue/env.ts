/**
 * What the waiting-room tests need: the purchases environment (harness, fake
 * Mercado Pago), the queue app, the queue's store on its own Upstash proxy
 * over the real Redis (so a test can kill it), and buyers who call both apps.
 * Without REDIS_URL these tests are skipped: the queue is Redis.
 */
import assert from "node:assert/strict";
import { createQueueApp } from "../../functions/queue/routes.ts";
import { clearQueueCachesForTests } from "../../functions/queue/settings_service.ts";
import type { Sql } from "../../shared/db/mod.ts";
import { setQueueStoreForTests, upstashQueueStore } from "../../shared/queue/store.ts";
import { callerFor, callers } from "../support/callers.ts";
import { type TestUser } from "../support/builders.ts";
import { hs256Token } from "../support/tokens.ts";
import { startUpstashProxy, type UpstashProxy } from "../support/upstash_proxy.ts";
import { eventOnSale, key, purchaseBody, purchaseEnv } from "../purchases/env.ts";

export const REDIS_URL = Deno.env.get("REDIS_URL");

/** Deno.test for the queue: sanitizers off (shared pool and proxies), skipped without Redis. */
export function queueTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore: !REDIS_URL, sanitizeOps: false, sanitizeResources: false, fn });
}

/** An Upstash proxy of the queue's own, which a test may stop to play a Redis outage. */
export async function startQueueProxy(): Promise<UpstashProxy> {
  const proxy = await startUpstashProxy({ redisUrl: REDIS_URL!, token: "queue-test-token" });
  setQueueStoreForTests(upstashQueueStore(proxy.url, proxy.token));
  return proxy;
}

let proxy: UpstashProxy | undefined;

export async function queueEnv() {
  const env = await purchaseEnv();
  proxy ??= await startQueueProxy();
  setQueueStoreForTests(upstashQueueStore(proxy.url, proxy.token));
  clearQueueCachesForTests();
  const queueApp = createQueueApp();
  const queue = callers(queueApp);
  /** One person calling both functions with one token. */
  const buyer = async (user: TestUser) => {
    const token = await hs256Token({ sub: user.id, email: user.email, roles: user.roles });
    return {
      user,
      queue: callerFor(queueApp, token, user),
      purchases: callerFor(env.app, token, user),
    };
  };
  const admin = await queue.asAdmin();
  return { ...env, queueApp, queue, buyer, admin, proxy };
}

export type Buyer = Awaited<ReturnType<Awaited<ReturnType<typeof queueEnv>>["buyer"]>>;

export interface QueueOptions {
  capacity?: number;
  /** ms from now; negative: already started. */
  startsIn?: number;
  windowSeconds?: number;
  factor?: number;
  holdMinutes?: number;
}

/** A published event with one ticket type and its waiting room on. */
export async function queuedEvent(
  sql: Sql,
  admin: Awaited<ReturnType<typeof queueEnv>>["admin"],
  options: QueueOptions = {},
) {
  const { event, ticketType } = await eventOnSale(sql, {
    capacity: options.capacity ?? 10,
    price: 10_000,
  }, { maxTicketsPerUser: 10 });
  const startsAt = Date.now() + (options.startsIn ?? -1000);
  const res = await admin.put(`/queue/${event.id}/settings`, {
    enabled: true,
    prequeue_opens_at: new Date(startsAt - 3_600_000).toISOString(),
    starts_at: new Date(startsAt).toISOString(),
    window_seconds: options.windowSeconds ?? 600,
    admit_factor: options.factor ?? 1,
    hold_minutes: options.holdMinutes ?? 5,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { event, ticketType, startsAt, settings: res.body };
}

/** Buys one ticket with the buyer's admission token (or the one given). */
export function buyWith(b: Buyer, eventId: string, ticketTypeId: string, token?: string) {
  return b.purchases.post("/purchases", {
    ...purchaseBody(eventId, ticketTypeId, 1),
    ...(token === undefined ? {} : { admission_token: token }),
  }, key());
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
