/**
 * The waiting room: joins/s and status polls/s through the API (gateway →
 * Upstash REST proxy → Redis, one Lua script per call, concurrent polls of an
 * event sharing a call), against `redis-benchmark` running one status poll per
 * call (EVALSHA, same Redis, same key layout, as many connections) — what
 * Redis alone does with the same work. Target: status polls ≥ 0.3× of it.
 * Two ceilings in the same run put the ratio in context: GET /health on the
 * same server (any request's cost) and the proxy's own rate for one-poll
 * EVALSHA calls (the REST hop that raw RESP does not pay).
 */
import type { Sql } from "../../shared/db/mod.ts";
import { queueKeys } from "../../shared/queue/store.ts";
import { JOIN_SCRIPT, STATUS_SCRIPT } from "../../shared/queue/scripts.ts";
import { signHs256Token } from "../../functions/_dev/demo.ts";
import { type LoadResult, type Req, runLoad } from "./load.ts";
import { run } from "./procs.ts";

export interface QueueData {
  eventId: string;
  tokens: string[];
}

export interface QueueRun {
  waiters: number;
  connections: number;
  join: LoadResult;
  status: LoadResult;
  /** GET /health on the same server, same connections: the floor of any request. */
  health_rps: number;
  /** CPU ms per /health request, by process: the status poll's own cost is the difference. */
  health_cpu_ms_per_request?: Record<string, number>;
  /** One-poll EVALSHA posted straight to the Upstash REST proxy. */
  proxy_rps: number;
  proxy_statuses: Record<string, number>;
  redis_benchmark_rps: number;
  join_ratio: number;
  status_ratio: number;
  status_to_proxy: number;
  status_to_health: number;
}

/** A published event with its waiting room on and `waiters` users with tokens. */
export async function seedQueue(sql: Sql, waiters: number, jwtSecret: string): Promise<QueueData> {
  const [{ id: eventId }] = await sql<{ id: string }[]>`
    insert into public.events (slug, title, venue, starts_at, ends_at, status)
    values ('bench-queue', 'Bench: on-sale', 'Bench arena', now() + interval '7 days',
            now() + interval '7 days 4 hours', 'published')
    returning id`;
  // One seat: nearly everyone waits, so polls exercise the waiting path (rank, estimate).
  await sql`insert into public.ticket_types (event_id, name, price, capacity)
            values (${eventId}, 'General', 10000, 1)`;
  await sql`insert into public.queue_settings (event_id, enabled, prequeue_opens_at, starts_at, seed)
            values (${eventId}, true, now() - interval '1 hour', now() - interval '1 minute',
                    encode(sha256(gen_random_uuid()::text::bytea), 'hex'))`;
  const users = await sql<{ id: string }[]>`
    insert into auth.users (id, aud, role, email)
    select gen_random_uuid(), 'authenticated', 'authenticated', 'waiter-' || g || '@bench.crodify.local'
      from generate_series(1, ${waiters}) g
    returning id`;
  const tokens = await Promise.all(
    users.map((u) => signHs256Token(jwtSecret, { sub: u.id, roles: ["user"], expiresIn: "2h" })),
  );
  return { eventId, tokens };
}

/** A scratch copy of the queue's keys: one buyer admitted (one seat), `someone` waiting. */
async function scratchQueue(redisUrl: string) {
  const { hostname, port } = new URL(redisUrl);
  const host = ["-h", hostname, "-p", port || "6379"];
  const keys = queueKeys(`bench-${crypto.randomUUID()}`);
  const now = Date.now();
  // ARGV 1..7 of every script: now, user, starts, window, k × 100, available, its time.
  const clock = (user: string) => [now, user, now - 60_000, 600_000, 100, 1, now].map(String);
  for (const user of ["first", "someone"]) {
    await run("redis-cli", [...host, "EVAL", JOIN_SCRIPT, "6", ...keys, ...clock(user), "", "600"]);
  }
  const sha = (await run("redis-cli", [...host, "SCRIPT", "LOAD", STATUS_SCRIPT])).stdout.trim();
  // One poll, as the API's status script gets it when polls do not overlap.
  const poll = ["EVALSHA", sha, String(keys.length), ...keys, ...clock(""), "someone"];
  return { host, keys, poll };
}

/**
 * `redis-benchmark` running one status poll per call (EVALSHA, as @upstash/redis
 * sends it), with as many connections as the API run has clients.
 */
async function redisBenchmark(
  scratch: Awaited<ReturnType<typeof scratchQueue>>,
  requests: number,
  connections: number,
) {
  const args = ["-n", String(requests), "-c", String(connections), "-q", "--csv"];
  const out = await run("redis-benchmark", [...scratch.host, ...args, ...scratch.poll]);
  const rps = Number(/"([\d.]+)"/.exec(out.stdout.split("\n").filter(Boolean).pop() ?? "")?.[1]);
  if (!Number.isFinite(rps) || rps <= 0) throw new Error(`redis-benchmark: ${out.stdout}`);
  return rps;
}

/**
 * The Upstash REST proxy's own ceiling: the same one-poll EVALSHA posted
 * straight to it over HTTP, the most an app making one REST call per poll
 * could reach here.
 */
function proxyCeiling(
  proxy: { url: string; token: string },
  scratch: Awaited<ReturnType<typeof scratchQueue>>,
  opts: { connections: number; seconds: number },
) {
  return runLoad({
    url: proxy.url,
    connections: opts.connections,
    durationSeconds: opts.seconds,
    requests: [{
      method: "POST",
      path: "/",
      headers: { authorization: `Bearer ${proxy.token}`, "content-type": "application/json" },
      body: JSON.stringify(scratch.poll),
    }],
    label: "upstash proxy EVALSHA",
  });
}

export async function runQueue(
  url: string,
  redisUrl: string,
  proxy: { url: string; token: string },
  data: QueueData,
  opts: { connections: number; seconds: number },
): Promise<QueueRun> {
  let i = 0;
  const as = (path: string, method: Req["method"]) => (): Req => ({
    method,
    path: `/functions/v1/queue/${data.eventId}/${path}`,
    headers: { authorization: `Bearer ${data.tokens[i++ % data.tokens.length]}` },
  });
  // Every waiter joins once (a new place each), then everyone polls.
  const join = await runLoad({
    url,
    connections: opts.connections,
    amount: data.tokens.length,
    next: as("join", "POST"),
    label: "queue join",
  });
  i = 0;
  const status = await runLoad({
    url,
    connections: opts.connections,
    durationSeconds: opts.seconds,
    next: as("status", "GET"),
    label: "queue status",
  });
  // The same server's trivial route: what any request costs before the queue's work.
  const health = await runLoad({
    url,
    connections: opts.connections,
    durationSeconds: opts.seconds,
    requests: [{ method: "GET", path: "/functions/v1/health" }],
    label: "health",
  });
  const scratch = await scratchQueue(redisUrl);
  try {
    const rest = await proxyCeiling(proxy, scratch, opts);
    const baseline = await redisBenchmark(
      scratch,
      Math.max(20_000, status.responses),
      opts.connections,
    );
    const ratio = (rps: number) => Math.round((rps / baseline) * 1000) / 1000;
    return {
      waiters: data.tokens.length,
      connections: opts.connections,
      join,
      status,
      health_rps: Math.round(health.rps),
      health_cpu_ms_per_request: health.cpu_ms_per_request,
      proxy_rps: Math.round(rest.rps),
      proxy_statuses: rest.statuses,
      redis_benchmark_rps: Math.round(baseline),
      join_ratio: ratio(join.rps),
      status_ratio: ratio(status.rps),
      status_to_proxy: Math.round((status.rps / rest.rps) * 100) / 100,
      status_to_health: Math.round((status.rps / health.rps) * 100) / 100,
    };
  } finally {
    await run("redis-cli", [...scratch.host, "del", ...scratch.keys]);
  }
}

type Add = (
  kind: "invariant" | "target",
  name: string,
  value: string,
  expected: string,
  pass: boolean,
) => void;

/** The queue's checks: every join placed, every poll answered; the ratio in a full run. */
export function queueChecks(q: QueueRun, full: boolean, add: Add): void {
  const only = (r: LoadResult, status: string) =>
    r.errors === 0 && r.responses > 0 && Object.keys(r.statuses).every((s) => s === status);
  const shown = (r: LoadResult) =>
    Object.entries(r.statuses).map(([s, n]) => `${s}×${n}`).join(", ");
  add(
    "invariant",
    "queue join: every waiter placed (201)",
    shown(q.join),
    "only 201",
    only(q.join, "201"),
  );
  add("invariant", "queue status: all 200", shown(q.status), "only 200", only(q.status, "200"));
  add("invariant", "queue health: all 200", `${q.health_rps} rps`, "> 0", q.health_rps > 0);
  const proxyOk = Object.keys(q.proxy_statuses).every((s) => s === "200") && q.proxy_rps > 0;
  add(
    "invariant",
    "upstash proxy EVALSHA: all 200",
    JSON.stringify(q.proxy_statuses),
    "only 200",
    proxyOk,
  );
  if (full) {
    add(
      "target",
      "queue status / redis-benchmark",
      String(q.status_ratio),
      "≥ 0.3",
      q.status_ratio >= 0.3,
    );
  }
}
