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
   * … a paced run: `rate` transactions a second (Poisson schedule) for
   * `warmupSeconds` + `seconds`; transactions of the warm-up (new connections
   * planning their first calls) are not in the latencies.
   */
  rate?: number;
  seconds?: number;
  warmupSeconds?: number;
}

export interface PgbenchResult {
  transactions: number;
  /** Transactions per second, initial connection time excluded (pgbench's own figure). */
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
      ...(opts.rate
        ? [`--rate=${opts.rate}`, `--time=${(opts.warmupSeconds ?? 0) + opts.seconds!}`]
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
    const expected = opts.rate ? done : opts.clients * opts.transactionsPerClient!;
    if (out.code !== 0 || !tps || done !== expected || done === 0) {
      throw new Error(`pgbench failed (exit ${out.code}):\n${text}`);
    }
    return {
      transactions: done,
      tps: Math.round(Number(tps[1]) * 10) / 10,
      latency_ms: summarize(await transactionTimes(dir, opts.warmupSeconds ?? 0)),
      command:
        `pgbench -n -M prepared -c ${opts.clients} -j ${threads} -t ${opts.transactionsPerClient}`,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Latencies (ms) from the per-transaction log lines, `client_id transaction_no
 * time_us script_no epoch_s us` (epoch: when it ended), leaving out those that
 * ended in the first `warmupSeconds` after the first one did.
 */
async function transactionTimes(dir: string, warmupSeconds: number): Promise<number[]> {
  const done: { at: number; ms: number }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.startsWith("tx")) continue;
    for (const line of (await Deno.readTextFile(`${dir}/${entry.name}`)).split("\n")) {
      const fields = line.split(" ");
      if (fields.length < 6) continue;
      done.push({ at: Number(fields[4]) + Number(fields[5]) / 1e6, ms: Number(fields[2]) / 1000 });
    }
  }
  const first = Math.min(...done.map((t) => t.at));
  return done.filter((t) => t.at - first >= warmupSeconds).map((t) => t.ms);
}
