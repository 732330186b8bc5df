/**
 * Checks (invariants that must hold in any run, targets the full run is judged
 * by) and the written report: results/latest.json and results/latest.md.
 */
import type { CatalogRun } from "./catalog.ts";
import type { ColdStart } from "./cold_start.ts";
import type { DoorRun, PacedDoor } from "./door.ts";
import type { FlashRun } from "./flash.ts";
import type { FlatRun } from "./flat.ts";
import type { LoadResult } from "./load.ts";
import { queueChecks, type QueueRun } from "./queue.ts";

export interface Check {
  name: string;
  kind: "invariant" | "target";
  value: string;
  expected: string;
  pass: boolean;
}

export interface Results {
  generated_at: string;
  mode: "full" | "smoke";
  command: string;
  commit: string;
  machine: Record<string, unknown>;
  versions: Record<string, string>;
  setup: Record<string, unknown>;
  door: DoorRun[];
  door_paced?: PacedDoor;
  flash?: FlashRun;
  flat?: FlatRun[];
  catalog?: CatalogRun;
  queue?: QueueRun;
  /** floor: an empty `Deno.serve`; stack: hono + zod with one route (what any function loads). */
  cold_start: { floor?: ColdStart; stack?: ColdStart; functions: ColdStart[] };
  checks: Check[];
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const fivexx = (r: LoadResult) =>
  Object.entries(r.statuses).filter(([s]) => Number(s) >= 500).reduce((n, [, c]) => n + c, 0);
const others = (outcomes: Record<string, number>, expected: string[]) =>
  Object.entries(outcomes).filter(([k]) => !expected.includes(k)).map(([k, v]) => `${k}×${v}`);

/** Every check of a run; targets only in full mode (smoke sizes say nothing about speed). */
export function checks(r: Results): Check[] {
  const out: Check[] = [];
  const add = (kind: Check["kind"], name: string, value: string, expected: string, pass: boolean) =>
    out.push({ name, kind, value, expected, pass });
  const full = r.mode === "full";
  for (const d of r.door) {
    const ok = d.api.outcomes.ok ?? 0;
    const extra = others(d.api.outcomes, ["ok"]);
    add(
      "invariant",
      `door ${d.concurrency}: every scan of a fresh ticket is ok`,
      `${ok} ok${extra.length ? `, ${extra.join(", ")}` : ""}, ${d.api.errors} errors`,
      `${d.scans} ok`,
      ok === d.scans && extra.length === 0 && d.api.errors === 0,
    );
    if (!full) continue;
    add("target", `door ${d.concurrency}: API / pgbench`, fmt(d.ratio, 2), "≥ 0.5", d.ratio >= 0.5);
  }
  // p99 ≤ 25 ms is judged at a door's pace: a saturated closed loop's latency is its queue.
  const paced = r.door_paced;
  if (paced) {
    const ok = paced.api.outcomes.ok ?? 0;
    const extra = others(paced.api.outcomes, ["ok"]);
    add(
      "invariant",
      "door paced: every scan of a fresh ticket is ok",
      `${ok} ok${extra.length ? `, ${extra.join(", ")}` : ""}, ${paced.api.errors} errors`,
      `${paced.api.responses} ok`,
      ok === paced.api.responses && ok > 0 && extra.length === 0 && paced.api.errors === 0,
    );
    if (full) {
      add(
        "target",
        `door paced: p99 with ${paced.scanners} scanners`,
        `${paced.api.latency_ms.p99} ms`,
        "≤ 25 ms",
        paced.api.latency_ms.p99 <= 25,
      );
    }
  }
  if (r.flash) {
    const f = r.flash;
    const holds = f.api.outcomes.hold ?? 0;
    const extra = others(f.api.outcomes, ["hold", "409 sold_out"]);
    add(
      "invariant",
      "flash: holds through the API",
      `${holds} (database: ${f.held})`,
      `${f.capacity}`,
      holds === f.capacity && f.held === f.capacity && f.orders === f.capacity,
    );
    add(
      "invariant",
      "flash: 5xx and other failures",
      `${fivexx(f.api)} 5xx${extra.length ? `, ${extra.join(", ")}` : ""}, ${f.api.errors} errors`,
      "0; everyone else 409 sold_out",
      fivexx(f.api) === 0 && extra.length === 0 && f.api.errors === 0,
    );
    add(
      "invariant",
      "flash: pgbench holds",
      `${f.pgbench_held}`,
      `${f.pgbench.transactions}`,
      f.pgbench_held === f.pgbench.transactions,
    );
    if (full) {
      add(
        "target",
        "flash: reserve_tickets tps / hot-row ceiling",
        fmt(f.sql_ratio, 2),
        "≥ 0.6",
        f.sql_ratio >= 0.6,
      );
      add(
        "target",
        "flash: API holds/s / hot-row ceiling",
        fmt(f.ratio, 2),
        "≥ 0.3",
        f.ratio >= 0.3,
      );
      add(
        "target",
        "flash: winner p99 / refusal p99",
        fmt(f.winner_p99_ratio, 2),
        "≤ 3",
        f.winner_p99_ratio <= 3,
      );
    }
  }
  for (const f of r.flat ?? []) {
    const name = `flat (${f.schema})`;
    add(
      "invariant",
      `${name}: holds and refusals`,
      `${f.holds} holds, ${f.refusals} sold_out, drift ${f.drift}`,
      `${f.seats} holds, ${f.buyers - f.seats} sold_out, drift 0`,
      f.holds === Math.min(f.seats, f.buyers) && f.refusals === Math.max(0, f.buyers - f.seats) &&
        f.drift === 0,
    );
    if (full && f.schema === "after") {
      add("target", `${name}: last/first holds/s`, fmt(f.ratio, 2), "≥ 0.8", f.ratio >= 0.8);
    }
  }
  if (r.catalog) {
    const c = r.catalog;
    const runs = {
      "GET /health": c.baseline_before,
      "GET /events": c.list,
      "GET /events/{id}": c.detail,
    };
    for (const [name, run] of Object.entries(runs)) {
      const bad = Object.entries(run.statuses).filter(([s]) => s !== "200");
      add(
        "invariant",
        `catalog ${name}: all 200`,
        bad.length ? bad.map(([s, n]) => `${s}×${n}`).join(", ") : `${run.responses} × 200`,
        "only 200",
        bad.length === 0 && run.errors === 0 && run.responses > 0,
      );
    }
    if (full) {
      add(
        "target",
        "catalog GET /events / GET /health",
        fmt(c.list_ratio, 2),
        "≥ 0.6",
        c.list_ratio >= 0.6,
      );
      add(
        "target",
        "catalog GET /events/{id} / GET /health",
        fmt(c.detail_ratio, 2),
        "≥ 0.6",
        c.detail_ratio >= 0.6,
      );
    }
  }
  if (r.queue) queueChecks(r.queue, full, add);
  for (const cs of r.cold_start.functions) {
    add(
      "invariant",
      `cold start ${cs.name}: answers`,
      `${cs.runs_ms.length} runs`,
      "≥ 1",
      cs.runs_ms.length > 0,
    );
    if (full) {
      add(
        "target",
        `cold start ${cs.name}: median`,
        `${cs.median_ms} ms`,
        "≤ 150 ms",
        cs.median_ms <= 150,
      );
    }
  }
  return out;
}

const lat = (r: { latency_ms: { p50: number; p95: number; p99: number } }) =>
  `p50/p95/p99 ${r.latency_ms.p50}/${r.latency_ms.p95}/${r.latency_ms.p99} ms`;
const verdict = (cs: Check[], prefix: string) => {
  const mine = cs.filter((c) => c.kind === "target" && c.name.startsWith(prefix));
  return mine.length === 0 ? "—" : mine.every((c) => c.pass) ? "**pass**" : "**FAIL**";
};

/** The results table (also pasted into the README's Performance section). */
export function table(r: Results): string {
  const rows: string[][] = [];
  for (const d of r.door) {
    rows.push([
      `door check-in, ${d.concurrency} scanners`,
      `${fmt(d.api.rps)} validations/s; ${lat(d.api)}`,
      `pgbench \`checkin_ticket\`: ${fmt(d.pgbench.tps)} tps; ${lat(d.pgbench)}`,
      fmt(d.ratio, 2),
      "≥ 0.5",
      verdict(r.checks, `door ${d.concurrency}:`),
    ]);
  }
  const paced = r.door_paced;
  if (paced) {
    rows.push([
      `door latency, ${paced.scanners} scanners × ${paced.scans_per_second_each} scans/s each ` +
      `for ${paced.seconds} s, after ${paced.warmup_seconds} s of warm-up`,
      `${fmt(paced.api.rps)} validations/s; ${lat(paced.api)}`,
      `pgbench \`checkin_ticket\` at the same rate: ${lat(paced.pgbench)}`,
      "—",
      "p99 ≤ 25 ms",
      verdict(r.checks, "door paced:"),
    ]);
  }
  if (r.flash) {
    const f = r.flash;
    rows.push([
      `flash sale, ${fmt(f.buyers)} buyers → capacity ${f.capacity}, ${f.concurrency} at once`,
      `${fmt(f.holds_per_second)} holds/s; ${f.api.outcomes.hold ?? 0} holds, ${
        fivexx(f.api)
      } 5xx; ${lat(f.api)}`,
      `hot-row ceiling (pgbench guarded \`UPDATE\` + insert): ${fmt(f.ceiling.tps)} tps; ` +
      `pgbench \`reserve_tickets\`: ${fmt(f.pgbench.tps)} tps (${fmt(f.sql_ratio, 2)}×); ` +
      `p99 winner/refusal ${fmt(f.winner_p99_ratio, 2)}`,
      fmt(f.ratio, 2),
      "API ≥ 0.3, SQL ≥ 0.6, p99 ≤ 3×",
      verdict(r.checks, "flash:"),
    ]);
  }
  for (const f of r.flat ?? []) {
    rows.push([
      `flatness (${f.schema === "after" ? "held counter" : "before: SUM of holds"}), ` +
      `${fmt(f.buyers)} buyers → ${fmt(f.seats)} seats, ${f.concurrency} at once (pgbench)`,
      `last ${fmt(f.window)} holds: ${fmt(f.last_holds_per_second)} holds/s`,
      `first ${fmt(f.window)} holds: ${fmt(f.first_holds_per_second)} holds/s`,
      fmt(f.ratio, 2),
      "≥ 0.8",
      f.schema === "after" ? verdict(r.checks, "flat (after)") : "(before)",
    ]);
  }
  if (r.catalog) {
    const c = r.catalog;
    const base = `GET /health: ${fmt(c.baseline_rps)} rps`;
    rows.push([
      `catalog \`GET /events\` (cached), ${c.connections} connections`,
      `${fmt(c.list.rps)} rps; ${lat(c.list)}`,
      base,
      fmt(c.list_ratio, 2),
      "≥ 0.6",
      verdict(r.checks, "catalog GET /events /"),
    ]);
    rows.push([
      `catalog \`GET /events/{id}\` (cached), ${c.connections} connections`,
      `${fmt(c.detail.rps)} rps; ${lat(c.detail)}`,
      base,
      fmt(c.detail_ratio, 2),
      "≥ 0.6",
      verdict(r.checks, "catalog GET /events/{id}"),
    ]);
  }
  if (r.queue) {
    const q = r.queue;
    const base = `redis-benchmark EVALSHA status script, ${q.connections} connections: ${
      fmt(q.redis_benchmark_rps)
    } rps`;
    rows.push([
      `queue joins, ${fmt(q.waiters)} waiters, ${q.connections} connections`,
      `${fmt(q.join.rps)} joins/s; ${lat(q.join)}`,
      base,
      fmt(q.join_ratio, 3),
      "–",
      verdict(r.checks, "queue join"),
    ]);
    rows.push([
      `queue status polls, ${q.connections} connections`,
      `${fmt(q.status.rps)} polls/s; ${lat(q.status)}`,
      base,
      fmt(q.status_ratio, 3),
      "≥ 0.3",
      verdict(r.checks, "queue status"),
    ]);
    rows.push([
      "ceilings in context: the same one-poll EVALSHA posted to the Upstash proxy; " +
      "`GET /health` on the same server",
      `proxy ${fmt(q.proxy_rps)} rps; health ${fmt(q.health_rps)} rps`,
      "status polls/s above",
      `${fmt(q.status_to_proxy, 2)}× proxy; ${fmt(q.status_to_health, 2)}× health`,
      "–",
      "–",
    ]);
  }
  const { floor, stack } = r.cold_start;
  const baselines = [
    floor && `empty \`Deno.serve\`: ${floor.median_ms} ms`,
    stack && `hono + zod, one route: ${stack.median_ms} ms`,
  ].filter(Boolean).join("; ");
  for (const cs of r.cold_start.functions) {
    rows.push([
      `cold start \`${cs.name}\``,
      `median ${cs.median_ms} ms of ${cs.runs_ms.length}`,
      baselines || "—",
      floor ? fmt(cs.median_ms / floor.median_ms, 1) + "×" : "—",
      "≤ 150 ms",
      verdict(r.checks, `cold start ${cs.name}:`),
    ]);
  }
  const head = ["scenario", "measured", "baseline (same run)", "ratio", "target", "result"];
  return [head, head.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`).join(
    "\n",
  );
}

export function markdown(r: Results): string {
  const m = r.machine;
  const invariants = r.checks.filter((c) => c.kind === "invariant");
  return `# Benchmark: latest run

\`${r.command}\` at ${r.generated_at}, commit \`${r.commit}\`.

- **Machine**: ${m.cores} cores, ${m.cpu}, ${m.memory_gb} GiB. Load average (1/5/15 min) before
  ${(m.load_before as number[]).join(" / ")}, after ${(m.load_after as number[]).join(" / ")}; other
  sessions' connections to PostgreSQL at the start: ${m.other_pg_connections}. The machine is shared:
  each figure is compared with a baseline measured in the same run.
- **Versions**: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(", ")}.
- **Setup**: ${Object.entries(r.setup).map(([k, v]) => `${k}: ${v}`).join("; ")}.

${table(r)}

Invariants: ${invariants.filter((c) => c.pass).length} of ${invariants.length} hold.
${
    invariants.filter((c) => !c.pass).map((c) =>
      `- FAILED ${c.name}: ${c.value} (expected ${c.expected})`
    ).join("\n")
  }

Raw figures (every run, latency percentiles, status counts): \`latest.json\`.
`;
}

/** The JSON written to disk: per-response marks dropped. */
export function toJson(r: Results): string {
  return JSON.stringify(r, (key, value) => (key === "marks" ? undefined : value), 2) + "\n";
}
