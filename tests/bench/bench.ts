/**
 * `deno task bench [--smoke] [--only=door,flash,flat,catalog,queue,cold] [--levels=16,64]
 *                  [--pool=N] [--profile] [--strict] [--out=latest] [--flat-seats=N]`
 *
 * Creates a fresh database on DATABASE_URL (bootstrap + migrations), seeds what
 * each scenario needs, starts the Upstash proxy over REDIS_URL and the gateway
 * (each in its own process), warms up, and runs the door, the flash sale, the
 * catalog and cold starts, each against a baseline measured in the same run,
 * and the flatness of a long sale (flat.ts: pgbench only, on a PostgreSQL cluster of its
 * own; the full run measures the schema before the held counter too).
 * The full run writes tests/bench/results/<out>.{md,json} (--out, default latest); `--smoke` runs
 * tiny sizes in seconds and checks only the invariants (CI runs it).
 * Exits 1 when an invariant fails (and, with --strict, when a target is missed).
 */
import { FUNCTIONS } from "../../functions/registry.ts";
import { generateKeyEntry, parseKeyring } from "../../shared/tickets/keys.ts";
import { RespConnection } from "../support/resp.ts";
import { type CatalogRun, runCatalog } from "./catalog.ts";
import { coldStarts } from "./cold_start.ts";
import { createBenchDatabase, seedCatalog, seedDoor, seedFlash } from "./data.ts";
import { type DoorRun, type PacedDoor, runDoor, runDoorPaced, warmDoor } from "./door.ts";
import { type FlashRun, runFlash } from "./flash.ts";
import { type FlatRun, PRODUCTION_LIKE, runFlat } from "./flat.ts";
import { startPgCluster } from "../support/pg_cluster.ts";
import { cpuMs, freePort, machine, pgbenchPath, run, startDeno } from "./procs.ts";
import { aroundEachLoad, profileCpuWith } from "./load.ts";
import { connectProfiler } from "./profile.ts";
import { type QueueRun, runQueue, seedQueue } from "./queue.ts";
import { checks, markdown, type Results, table, toJson } from "./report.ts";

const FULL = {
  door: {
    levels: [16, 64],
    scans: 4992,
    warm: 1000,
    paced: { scanners: 64, perSecond: 2, seconds: 10, warmupSeconds: 4 },
  },
  flash: {
    buyers: 2000,
    capacity: 500,
    concurrency: 64,
    warm: 100,
    // pgbench's two runs: 5 s of warm-up, 10 s counted; room for every hold it could take.
    pg: { warmupSeconds: 5, seconds: 10, holds: 40_000 },
  },
  flat: {
    after: { seats: 50_000, buyers: 60_000, concurrency: 32, window: 5_000 },
    // The old schema decays with every hold: 10,000 seats show it in a few minutes.
    before: { seats: 10_000, buyers: 10_016, concurrency: 32, window: 2_000 } as
      | FlatSize
      | undefined,
  },
  catalog: { events: 40, connections: 32, seconds: 5, warmSeconds: 1 },
  queue: { waiters: 5000, connections: 32, seconds: 5 },
  coldRuns: 10,
};
const SMOKE = {
  door: {
    levels: [4, 8],
    scans: 64,
    warm: 16,
    paced: { scanners: 8, perSecond: 2, seconds: 1, warmupSeconds: 1 },
  },
  flash: {
    buyers: 40,
    capacity: 10,
    concurrency: 8,
    warm: 4,
    pg: { warmupSeconds: 1, seconds: 1, holds: 5_000 },
  },
  flat: {
    after: { seats: 200, buyers: 240, concurrency: 8, window: 50 },
    before: undefined as FlatSize | undefined,
  },
  catalog: { events: 5, connections: 4, seconds: 1, warmSeconds: 0 },
  queue: { waiters: 50, connections: 4, seconds: 1 },
  coldRuns: 1,
};
type FlatSize = { seats: number; buyers: number; concurrency: number; window: number };
const JWT_SECRET = "crodify-bench-jwt-secret-0123456789abcdef";
const RESULTS = new URL("./results/", import.meta.url);

const args = new Set(Deno.args);
const smoke = args.has("--smoke");
const strict = args.has("--strict");
const optionOf = (name: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = new Set((optionOf("only") ?? "door,flash,flat,catalog,queue,cold").split(","));
const profile = smoke ? SMOKE : FULL;
// --flat-seats=N: a smaller flatness run, before and after alike (N seats, 1.2 N buyers).
const flatSeats = Number(optionOf("flat-seats"));
if (flatSeats > 0) {
  const size = {
    seats: flatSeats,
    buyers: Math.ceil((flatSeats * 1.2) / 32) * 32,
    concurrency: 32,
    window: Math.max(1, Math.round(flatSeats / 10)),
  };
  profile.flat = { after: size, before: size };
}
const levels = optionOf("levels");
// --levels= (empty) runs only the door's paced latency.
if (levels !== undefined) profile.door.levels = levels.split(",").filter(Boolean).map(Number);
const say = (msg: string) =>
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function redisInfo(url: string): Promise<{ version: string; pid: number }> {
  const connection = await RespConnection.open(url);
  try {
    const [info] = await connection.send([["INFO", "server"]]);
    const text = info instanceof Uint8Array ? new TextDecoder().decode(info) : String(info);
    return {
      version: /redis_version:(\S+)/.exec(text)?.[1] ?? "unknown",
      pid: Number(/process_id:(\d+)/.exec(text)?.[1] ?? 0),
    };
  } finally {
    connection.close();
  }
}

async function main(): Promise<number> {
  const serverUrl = Deno.env.get("DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const redisUrl = Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379";
  const poolMax = optionOf("pool") ?? "10";
  const loadBefore = machine().load_average;
  say(`${smoke ? "smoke" : "full"} run; load average ${loadBefore.join(" ")}`);
  const db = await createBenchDatabase(serverUrl);
  const cleanups: (() => Promise<void>)[] = [() => db.drop()];
  try {
    const [{ other }] = await db.sql<{ other: number }[]>`
      select count(*)::int as other from pg_stat_activity
       where datname is not null and datname <> current_database() and pid <> pg_backend_pid()`;
    const keyEntry = await generateKeyEntry("bench-1");
    const keyring = await parseKeyring(JSON.stringify([keyEntry]));
    say(`database ${db.name}; seeding`);
    const d = profile.door;
    const pacedSeconds = d.paced.seconds + d.paced.warmupSeconds;
    const paced = d.paced.scanners * (d.paced.perSecond * pacedSeconds + 2) + 64;
    const pools: Record<string, number> = {
      httpwarm: d.warm + 64,
      httppaced: paced,
      pgpaced: paced * 2, // pgbench's Poisson schedule may run ahead of the mean rate
    };
    for (const level of d.levels) {
      pools[`pg${level}`] = d.scans;
      pools[`http${level}`] = d.scans + 2 * level + 64; // autocannon builds a request ahead per connection
    }
    const door = only.has("door")
      ? await seedDoor(db.sql, pools, { scanners: 8, devices: 256, keyring, jwtSecret: JWT_SECRET })
      : undefined;
    const f = profile.flash;
    const flash = only.has("flash")
      ? await seedFlash(db.sql, {
        buyers: f.buyers,
        capacity: f.capacity,
        pgHolds: f.pg.holds,
        jwtSecret: JWT_SECRET,
      })
      : undefined;
    const catalogIds = only.has("catalog") ? await seedCatalog(db.sql, profile.catalog.events) : [];
    const queue = only.has("queue")
      ? await seedQueue(db.sql, profile.queue.waiters, JWT_SECRET)
      : undefined;
    await db.sql`analyze`;

    const proxy = await startDeno("tests/bench/proxy.ts", { REDIS_URL: redisUrl });
    cleanups.push(() => proxy.stop());
    const env: Record<string, string> = {
      APP_ENV: "development",
      LOG_LEVEL: "warn",
      DATABASE_URL: db.url,
      DB_POOL_MAX: poolMax,
      // As in the runs recorded before the pool wait was bounded: the request deadline
      // (10 s) decides, so flash-sale figures stay comparable with results/.
      DB_POOL_WAIT_MS: "10000",
      UPSTASH_REDIS_REST_URL: proxy.address,
      UPSTASH_REDIS_REST_TOKEN: "bench-upstash-token",
      BENCH_REDIS_PREFIX: `crodify_bench:${db.name}:`,
      SUPABASE_JWT_SECRET: JWT_SECRET,
      TICKET_SIGNING_KEYS: JSON.stringify([keyEntry]),
      // No Mercado Pago token: the simulated provider creates the preference.
      MERCADOPAGO_ACCESS_TOKEN: "",
      SENDGRID_API_KEY: "",
      PORT: "0",
    };
    const inspect = args.has("--profile") ? `127.0.0.1:${freePort()}` : undefined;
    const server = await startDeno(
      "tests/bench/server.ts",
      env,
      inspect ? [`--inspect=${inspect}`] : [],
    );
    cleanups.push(() => server.stop());
    if (inspect) {
      const profiler = await connectProfiler(inspect);
      cleanups.push(() => Promise.resolve(profiler.close()));
      aroundEachLoad({
        before: () => profiler.start(),
        after: async (label) => console.log(await profiler.stop(label)),
      });
    }
    const url = `http://127.0.0.1:${server.address}`;
    const redis = await redisInfo(redisUrl);
    // Where each request's CPU goes: the two cores are shared by all of these.
    profileCpuWith(async () => {
      const backends = await db.sql<{ pid: number }[]>`
        select pid from pg_stat_activity
         where datname = current_database() and application_name = 'crodify'`;
      return {
        server: cpuMs(server.pid),
        postgres: backends.reduce((sum, b) => sum + cpuMs(b.pid), 0),
        proxy: cpuMs(proxy.pid),
        redis: cpuMs(redis.pid),
        autocannon: cpuMs(Deno.pid),
      };
    });
    say(`server on ${url}, proxy on ${proxy.address}`);

    const doorRuns: DoorRun[] = [];
    let doorPaced: PacedDoor | undefined;
    if (door) {
      say("door: warm-up");
      await warmDoor(url, door, d.warm);
      for (const level of d.levels) {
        say(`door: ${level} concurrent (pgbench, then the API)`);
        doorRuns.push(await runDoor(url, db.url, door, level, d.scans / level, db.settle));
      }
      say(`door: ${d.paced.scanners} scanners at ${d.paced.perSecond} scans/s each`);
      doorPaced = await runDoorPaced(url, db.url, door, d.paced, db.settle);
    }
    let flashRun: FlashRun | undefined;
    if (flash) {
      say(
        `flash sale: pgbench, then ${f.buyers} buyers for ${f.capacity}, ${f.concurrency} at once`,
      );
      flashRun = await runFlash(url, db.sql, db.url, flash, {
        concurrency: f.concurrency,
        capacity: f.capacity,
        pg: f.pg,
        warm: f.warm,
        settle: db.settle,
      });
    }
    let catalogRun: CatalogRun | undefined;
    if (only.has("catalog")) {
      say("catalog");
      catalogRun = await runCatalog(url, catalogIds, profile.catalog);
    }
    let queueRun: QueueRun | undefined;
    if (queue) {
      say(`queue: ${profile.queue.waiters} joins, then status polls; redis-benchmark`);
      queueRun = await runQueue(
        url,
        redisUrl,
        { url: proxy.address, token: "bench-upstash-token" },
        queue,
        profile.queue,
      );
    }
    profileCpuWith(undefined);
    await server.stop();
    const flat: FlatRun[] = [];
    if (only.has("flat")) {
      say("flatness: a PostgreSQL cluster of its own, configured as Supabase runs it");
      const cluster = await startPgCluster(PRODUCTION_LIKE);
      try {
        for (
          const [schema, size] of [["after", profile.flat.after], [
            "before",
            profile.flat.before,
          ]] as const
        ) {
          if (!size) continue;
          say(
            `flatness (${schema}): ${size.buyers} buyers for ${size.seats} seats, ${size.concurrency} at once`,
          );
          flat.push(await runFlat(cluster.url, { schema, ...size }));
        }
      } finally {
        await cluster.destroy();
      }
    }
    const cold: Results["cold_start"] = { functions: [] };
    if (only.has("cold")) {
      say(`cold start: ${profile.coldRuns} runs per function`);
      const [floor, stack, ...functions] = await coldStarts(
        [
          { name: "floor", entry: "tests/bench/trivial_entry.ts" },
          { name: "stack", entry: "tests/bench/stack_entry.ts" },
          ...Object.keys(FUNCTIONS).map((name) => ({ name, entry: `functions/${name}/index.ts` })),
        ],
        env,
        profile.coldRuns,
      );
      Object.assign(cold, { floor, stack, functions });
    }

    const [{ server_version }] = await db.sql<{ server_version: string }[]>`show server_version`;
    const pgbenchOut = (await run(pgbenchPath(), ["--version"])).stdout;
    const pgbenchVersion = /\d+\.\d+/.exec(pgbenchOut)?.[0] ?? pgbenchOut.trim();
    const results: Results = {
      generated_at: new Date().toISOString(),
      mode: smoke ? "smoke" : "full",
      command: `deno task bench${Deno.args.length ? " " + Deno.args.join(" ") : ""}`,
      commit: (await run("git", ["rev-parse", "--short", "HEAD"])).stdout.trim() || "unknown",
      machine: {
        ...machine(),
        load_average: undefined,
        load_before: loadBefore,
        load_after: machine().load_average,
        other_pg_connections: other,
      },
      versions: {
        deno: Deno.version.deno,
        postgres: server_version,
        redis: redis.version,
        pgbench: pgbenchVersion,
        autocannon: "8.0.0",
      },
      setup: {
        "gateway": "createGateway(FUNCTIONS) in its own process (tests/bench/server.ts)",
        "DB_POOL_MAX": poolMax,
        "LOG_LEVEL": "warn (no access log line per request)",
        "Redis":
          "Upstash REST proxy (tests/support/upstash_proxy.ts) in its own process over redis-server",
        "payments": "simulated provider (no MERCADOPAGO_ACCESS_TOKEN)",
        "load generator":
          "autocannon (npm) in the driver process; pgbench -M prepared for the database",
      },
      door: doorRuns,
      door_paced: doorPaced,
      flash: flashRun,
      flat,
      catalog: catalogRun,
      queue: queueRun,
      cold_start: cold,
      checks: [],
    };
    results.checks = checks(results);
    console.log(table(results));
    const failed = results.checks.filter((c) => !c.pass);
    for (const c of failed) {
      console.log(`${c.kind} FAILED: ${c.name}: ${c.value} (expected ${c.expected})`);
    }
    if (!smoke) {
      await Deno.mkdir(RESULTS, { recursive: true });
      // A partial run (--only) goes beside latest, e.g. --out=flash_flat, not over it.
      const out = /^[\w-]+$/.test(optionOf("out") ?? "") ? optionOf("out")! : "latest";
      await Deno.writeTextFile(new URL(`${out}.json`, RESULTS), toJson(results));
      await Deno.writeTextFile(new URL(`${out}.md`, RESULTS), markdown(results));
      say(`wrote tests/bench/results/${out}.md and ${out}.json`);
    }
    const broken = failed.filter((c) => c.kind === "invariant" || strict);
    say(broken.length ? `${broken.length} check(s) failed` : "all invariants hold");
    return broken.length ? 1 : 0;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => say(`cleanup: ${e}`));
  }
}

if (import.meta.main) Deno.exit(await main());
