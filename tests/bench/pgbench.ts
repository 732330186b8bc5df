/**
 * The database's ceiling: pgbench running one SQL statement at a given
 * concurrency (prepared statements, as postgres.js uses), each transaction
 * logged so its latency percentiles come out the same way as the HTTP ones.
 */
import { type Latency, summarize } from "./load.ts";
import { pgbenchPath, run } from "./procs.ts";

export interface PgbenchOptions {
  databaseUrl: string;
  /** One SQL statement; `:name` refers to `variables`, `:client_id` is pgbench's. */
  statement: string;
  variables?: Record<string, string>;
  clients: number;
  /** A fixed number of transactions per client, or … */
  transactionsPerClient?: number;
  /**
   * … a timed run of `warmupSeconds` + `seconds`, as fast as it goes or paced
   * at `rate` transactions a second (Poisson schedule). Transactions of the
   * warm-up (new connections compiling PL/pgSQL and planning their first
   * calls, which a long-lived pool has long done) are not in the latencies nor
   * in the tps.
   */
  rate?: number;
  seconds?: number;
  warmupSeconds?: number;
}

export interface PgbenchResult {
  /** Every transaction run, the warm-up's included. */
  transactions: number;
  /**
   * Transactions per second: pgbench's own figure (initial connection time
   * excluded) for a fixed count; for a timed run, those that ended after the
   * warm-up over the time from its end to the last one's.
   */
  tps: number;
  latency_ms: Latency;
  command: string;
}

/** Runs pgbench; throws with its output when it fails or a client aborts. */
export async function runPgbench(opts: PgbenchOptions): Promise<PgbenchResult> {
  const dir = await Deno.makeTempDir({ prefix: "crodify_pgbench_" });
  try {
    const script = `${dir}/script.sql`;
    await Deno.writeTextFile(script, opts.statement.replace(/\s+/g, " ").trim() + ";\n");
    const threads = Math.min(opts.clients, navigator.hardwareConcurrency);
    const args = [
      "--no-vacuum",
      "--protocol=prepared",
      `--client=${opts.clients}`,
      `--jobs=${threads}`,
      ...(opts.seconds
        ? [
          ...(opts.rate ? [`--rate=${opts.rate}`] : []),
          `--time=${(opts.warmupSeconds ?? 0) + opts.seconds}`,
        ]
        : [`--transactions=${opts.transactionsPerClient}`]),
      `--file=${script}`,
      "--log",
      `--log-prefix=${dir}/tx`,
      ...Object.entries(opts.variables ?? {}).map(([k, v]) => `--define=${k}=${v}`),
      opts.databaseUrl,
    ];
    const out = await run(pgbenchPath(), args);
    const text = out.stdout + out.stderr;
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(text);
    const processed = /number of transactions actually processed: (\d+)/.exec(text);
    const done = Number(processed?.[1]);
    const expected = opts.seconds ? done : opts.clients * opts.transactionsPerClient!;
    if (out.code !== 0 || !tps || done !== expected || done === 0) {
      throw new Error(`pgbench failed (exit ${out.code}):\n${text}`);
    }
    const measured = await transactionTimes(dir, opts.warmupSeconds ?? 0);
    const rate = opts.seconds ? measured.rate : Number(tps[1]);
    return {
      transactions: done,
      tps: Math.round(rate * 10) / 10,
      latency_ms: summarize(measured.ms),
      command: `pgbench -n -M prepared -c ${opts.clients} -j ${threads} ` +
        (opts.seconds
          ? `${opts.rate ? `-R ${opts.rate} ` : ""}-T ${(opts.warmupSeconds ?? 0) + opts.seconds}` +
            ` (the first ${opts.warmupSeconds ?? 0} s not counted)`
          : `-t ${opts.transactionsPerClient}`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Latencies (ms) from the per-transaction log lines, `client_id transaction_no
 * time_us script_no epoch_s us` (epoch: when it ended), leaving out those that
 * ended in the first `warmupSeconds` after the first one did, and the rate at
 * which the others ended (per second, from the warm-up's end to the last).
 */
async function transactionTimes(
  dir: string,
  warmupSeconds: number,
): Promise<{ ms: number[]; rate: number }> {
  const done: { at: number; ms: number }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.startsWith("tx")) continue;
    for (const line of (await Deno.readTextFile(`${dir}/${entry.name}`)).split("\n")) {
      const fields = line.split(" ");
      if (fields.length < 6) continue;
      done.push({ at: Number(fields[4]) + Number(fields[5]) / 1e6, ms: Number(fields[2]) / 1000 });
    }
  }
  const from = done.reduce((min, t) => Math.min(min, t.at), Infinity) + warmupSeconds;
  const counted = done.filter((t) => t.at >= from);
  const span = counted.reduce((max, t) => Math.max(max, t.at), from) - from;
  return { ms: counted.map((t) => t.ms), rate: span > 0 ? counted.length / span : 0 };
}
