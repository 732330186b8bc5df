/**
 * The waiting room: joins/s and status polls/s through the API (gateway →
 * Upstash proxy → Redis, one Lua script per call), against `redis-benchmark`
 * running the status script itself (EVAL, same Redis, same key layout) — what
 * Redis alone does with the same work. Target: status polls ≥ 0.3× of it.
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
  redis_benchmark_rps: number;
  join_ratio: number;
  status_ratio: number;
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

/** `redis-benchmark` running the status script on a scratch copy of the keys. */
async function redisBenchmark(redisUrl: string, requests: number, connections: number) {
  const { hostname, port } = new URL(redisUrl);
  const keys = queueKeys(`bench-${crypto.randomUUID()}`);
  const now = Date.now();
  const host = ["-h", hostname, "-p", port || "6379"];
  const clock = (
    user: string,
  ) => [String(now), user, String(now - 60_000), "600000", "1", "1", String(now)];
  // As in the API run: one buyer admitted (one seat), the polling one waiting behind.
  for (const user of ["first", "someone"]) {
    await run("redis-cli", [...host, "EVAL", JOIN_SCRIPT, "5", ...keys, ...clock(user), "", "600"]);
  }
  const args = clock("someone");
  const out = await run("redis-benchmark", [
    ...host,
    "-n",
    String(requests),
    "-c",
    String(connections),
    "-q",
    "--csv",
    "EVAL",
    STATUS_SCRIPT,
    String(keys.length),
    ...keys,
    ...args,
  ]);
  await run("redis-cli", [...host, "del", ...keys]);
  const rps = Number(/"([\d.]+)"/.exec(out.stdout.split("\n").filter(Boolean).pop() ?? "")?.[1]);
  if (!Number.isFinite(rps) || rps <= 0) throw new Error(`redis-benchmark: ${out.stdout}`);
  return rps;
}

export async function runQueue(
  url: string,
  redisUrl: string,
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
  const baseline = await redisBenchmark(redisUrl, Math.max(1000, status.responses), 50);
  const ratio = (rps: number) => Math.round((rps / baseline) * 1000) / 1000;
  return {
    waiters: data.tokens.length,
    connections: opts.connections,
    join,
    status,
    redis_benchmark_rps: Math.round(baseline),
    join_ratio: ratio(join.rps),
    status_ratio: ratio(status.rps),
  };
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
