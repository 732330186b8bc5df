/**
 * "active ≤ k × available", exactly, for k > 1 and orders of several tickets
 * (issue 17, item 4), on the real scripts over the Upstash proxy and Redis.
 * The scripts take the time and the stock as arguments, so a seeded random
 * walk drives them with a simulated clock and a model of what is truly on
 * sale: joins, polls (one or several users a call), background steps,
 * purchases of 1–4 seats (the token spent, the hold taken, settled later),
 * holds expiring, windows lapsing, and stock snapshots up to 250 ms stale,
 * as the in-process copy serves them. After every call that admitted anyone:
 * active + buying ≤ floor(k × truly available).
 */
import assert from "node:assert/strict";
import { queueKeys, queueStore } from "../../shared/queue/store.ts";
import { STOCK_MAX_AGE_MS } from "../../shared/queue/scripts.ts";
import { RespConnection } from "../support/resp.ts";
import { queueTest, REDIS_URL, startQueueProxy } from "./env.ts";

const USING_TTL_MS = 30_000;
const LINGER_MS = 3_000;
const SNAPSHOT_MAX_AGE_MS = 250;

/** mulberry32: a small seeded PRNG, so a failure replays. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Hold {
  seats: number;
  untilMs: number;
}

async function walk(seed: number, factor: number, capacity: number, steps: number) {
  const random = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const store = queueStore();
  const eventId = crypto.randomUUID();
  let now = 1_800_000_000_000;
  const startsMs = now - 1;
  const windowMs = 2_000;
  const holds: Hold[] = [];
  // What was truly on sale, over time: a snapshot read at t sees the value at t.
  const history: { at: number; available: number }[] = [];
  const available = () =>
    capacity - holds.filter((h) => h.untilMs > now).reduce((sum, h) => sum + h.seats, 0);
  const record = () => history.push({ at: now, available: available() });
  let lastSnapshotAt = 0;
  const clock = () => {
    // Any instant of the last 250 ms, never before one already handed out.
    const from = Math.max(lastSnapshotAt, now - SNAPSHOT_MAX_AGE_MS);
    const at = from + Math.floor(random() * (now - from + 1));
    lastSnapshotAt = at;
    const seen = history.filter((h) => h.at <= at).pop()!;
    return {
      nowMs: now,
      startsMs,
      windowMs,
      factor,
      available: seen.available,
      availableAtMs: at,
    };
  };
  history.push({ at: now - 10_000, available: capacity });
  const users: string[] = [];
  const admitted = new Set<string>();
  const unsettled: string[] = [];
  let admissions = 0;
  let checks = 0;
  let admittedBefore = 0;
  const check = async (op: string) => {
    const stats = await store.stats(eventId, now);
    if (stats.admitted === admittedBefore) return;
    admittedBefore = stats.admitted;
    checks++;
    const limit = Math.floor((Math.round(factor * 100) * available()) / 100);
    assert.ok(
      stats.active + stats.using <= limit,
      `seed ${seed}, k ${factor}, after ${op} at step ${checks}: active ${stats.active} + ` +
        `buying ${stats.using} > floor(k × ${available()} truly available) = ${limit}`,
    );
  };
  for (let step = 0; step < steps; step++) {
    const r = random();
    if (r < 0.25 || users.length === 0) {
      const user = crypto.randomUUID();
      users.push(user);
      const view = await store.join(eventId, user, clock(), "00".repeat(32));
      if (view.state === "admitted") admitted.add(user);
      await check("join");
    } else if (r < 0.5) {
      const asking = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(users));
      const views = await store.status(eventId, asking, clock());
      views.forEach((v, i) => v.state === "admitted" && admitted.add(asking[i]));
      await check("status");
    } else if (r < 0.58) {
      await store.admit(eventId, clock());
      await check("the background step");
    } else if (r < 0.8 && admitted.size > 0) {
      // An admitted buyer presents the token for 1–4 seats; the hold commits if they are there.
      const user = pick([...admitted]);
      admitted.delete(user);
      const seats = 1 + Math.floor(random() * 4);
      if (await store.use(eventId, user, now, USING_TTL_MS, seats)) {
        now += Math.floor(random() * 40);
        if (available() >= seats) {
          holds.push({ seats, untilMs: now + 1_000 + Math.floor(random() * 8_000) });
          admissions++;
        }
        record();
        unsettled.push(user);
      }
    } else if (r < 0.9 && unsettled.length > 0) {
      const user = unsettled.splice(Math.floor(random() * unsettled.length), 1)[0];
      await store.settle(eventId, user, now, LINGER_MS);
    } else {
      // Time passes: windows lapse, holds expire, lingering buyers stop counting.
      now += random() < 0.2 ? 1_000 + Math.floor(random() * 3_000) : Math.floor(random() * 300);
      record();
    }
  }
  const redis = await RespConnection.open(REDIS_URL!);
  await redis.send([["DEL", ...queueKeys(eventId)]]);
  redis.close();
  return { checks, admissions };
}

queueTest(
  "admission: active + buying ≤ floor(k × truly available) at every admission, for k = 1, 1.5, 2, 3 and orders of 1–4 seats",
  async () => {
    const proxy = await startQueueProxy();
    try {
      let checks = 0;
      let purchases = 0;
      for (
        const [seed, factor] of [[1, 1], [2, 1.5], [3, 2], [4, 3], [5, 2.5], [6, 1.01]] as const
      ) {
        const result = await walk(seed, factor, 12, 400);
        checks += result.checks;
        purchases += result.admissions;
      }
      // The walk must have exercised the rule, not wandered around it.
      assert.ok(checks >= 60, `only ${checks} admitting calls`);
      assert.ok(purchases >= 30, `only ${purchases} holds`);
      console.log("admission rule", JSON.stringify({ checks, purchases }));
    } finally {
      await proxy.close();
    }
  },
);

queueTest("admission: a stock snapshot older than STOCK_MAX_AGE_MS admits nobody", async () => {
  const proxy = await startQueueProxy();
  const store = queueStore();
  const eventId = crypto.randomUUID();
  const now = 1_800_000_000_000;
  const clock = (ageMs: number, at = now) => ({
    nowMs: at,
    startsMs: now - 60_000,
    windowMs: 60_000,
    factor: 1,
    available: 5,
    availableAtMs: at - ageMs,
  });
  try {
    await store.join(eventId, crypto.randomUUID(), clock(STOCK_MAX_AGE_MS + 1), "00".repeat(32));
    // A database that took longer than that to answer: its seats may predate a hold whose
    // buyer no longer counts, so nobody is admitted on it.
    assert.equal((await store.admit(eventId, clock(STOCK_MAX_AGE_MS + 1))).active, 0);
    // The same stock read just in time admits.
    const later = now + STOCK_MAX_AGE_MS + 10;
    assert.equal((await store.admit(eventId, clock(STOCK_MAX_AGE_MS, later))).active, 1);
  } finally {
    const redis = await RespConnection.open(REDIS_URL!);
    await redis.send([["DEL", ...queueKeys(eventId)]]);
    redis.close();
    await proxy.close();
  }
});
