/**
 * Cold start: a fresh `deno run` of each function's own entry
 * (`functions/<name>/index.ts`, untouched: `Deno.serve(app.fetch)` on the
 * address DENO_SERVE_ADDRESS gives it) until its first response, median of
 * `runs`. The probe is a CORS preflight (`OPTIONS /<name>`), which every
 * function answers itself without the database or Redis, so the figure is
 * the boot: runtime start, module loading, app construction, first request.
 * A server that imports nothing is measured the same way as the floor.
 */
import { freePort, sleep } from "./procs.ts";

export interface ColdStart {
  name: string;
  entry: string;
  runs_ms: number[];
  median_ms: number;
}

const ROOT = new URL("../../", import.meta.url);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function once(entry: string, name: string, env: Record<string, string>): Promise<number> {
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", entry],
    cwd: ROOT,
    env: { ...env, DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}` },
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    while (performance.now() - started < 30_000) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/${name}`, {
          method: "OPTIONS",
          headers: { origin: "http://bench.local", "access-control-request-method": "GET" },
        });
        await response.body?.cancel();
        return performance.now() - started;
      } catch {
        await sleep(2);
      }
    }
    throw new Error(`${entry}: no response within 30 s`);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

/**
 * Boots each entry `runs` times, round-robin (the floors and the functions
 * take turns, so a busy moment of the machine lands on all of them alike);
 * the first round is included (it is a cold start too).
 */
export async function coldStarts(
  entries: { name: string; entry: string }[],
  env: Record<string, string>,
  runs: number,
): Promise<ColdStart[]> {
  const times = entries.map(() => [] as number[]);
  for (let round = 0; round < runs; round++) {
    for (const [i, { name, entry }] of entries.entries()) {
      times[i].push(await once(entry, name, env));
    }
  }
  return entries.map(({ name, entry }, i) => ({
    name,
    entry,
    runs_ms: times[i].map((t) => Math.round(t * 10) / 10),
    median_ms: Math.round(median(times[i]) * 10) / 10,
  }));
}
