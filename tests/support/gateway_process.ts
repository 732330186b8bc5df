/**
 * The local gateway (`functions/serve.ts`, what `deno task dev` runs) as a
 * subprocess on a free port, against a database of its own that it migrates
 * and seeds itself: with DATABASE_URL a new database on that server, named
 * like the harness's so abandoned ones are dropped by later runs; without it
 * an embedded PGlite in a temporary directory. It shares this run's Redis
 * (through the harness's Upstash proxy). Its stdout is kept line by line, so
 * tests can read the JSON log records it prints (the mail it "sent", say).
 */
import { createScratchDatabase } from "./scratch_db.ts";
import { setupHarness, TEST_DB_PREFIX } from "./harness.ts";
import { type LineLog, spawnLogged } from "./lines.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const LISTENING = /listening on (http:\/\/[\d.:]+)/;

export interface LogRecord {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface GatewayProcess {
  /** e.g. http://127.0.0.1:41234; functions under `${origin}/functions/v1`. */
  origin: string;
  stdout: LineLog;
  stderr: LineLog;
  /** The JSON log records printed so far. */
  records(): LogRecord[];
  /** The first record (printed or still to come) that matches. */
  waitForRecord(match: (record: LogRecord) => boolean, timeoutMs: number): Promise<LogRecord>;
  /** SIGTERM, wait for the exit, drop the database. Idempotent. */
  stop(): Promise<void>;
}

export interface GatewayProcessOptions {
  /** Extra environment (e.g. SUPABASE_JWT_SECRET, CORS_ORIGINS). */
  env?: Record<string, string>;
  /** How long the subprocess may take to migrate, seed and listen. */
  startTimeoutMs?: number;
}

export async function startGatewayProcess(
  options: GatewayProcessOptions = {},
): Promise<GatewayProcess> {
  const harness = await setupHarness();
  const scratch = await Deno.makeTempDir({ prefix: "crodify-gateway-" });
  const database = await freshDatabase(scratch);
  const { child, stdout, stderr } = spawnLogged(Deno.execPath(), {
    args: ["run", "--allow-all", "functions/serve.ts"],
    cwd: ROOT,
    clearEnv: true,
    env: {
      ...inherited(["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "NO_COLOR"]),
      APP_ENV: "development",
      LOG_LEVEL: "info",
      PORT: "0",
      TICKET_KEY_FILE: `${scratch}/ticket_signing_key.json`,
      QUEUE_KEY_FILE: `${scratch}/queue_signing_key.json`,
      ...redisEnv(harness.env),
      ...database.env,
      ...options.env,
    },
  });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already exited */ }
      await child.status;
      await Promise.all([stdout.ended, stderr.ended]);
      await database.drop();
      await Deno.remove(scratch, { recursive: true });
    })();

  let origin: string;
  try {
    const line = await stdout.waitFor(
      (l) => LISTENING.test(l),
      options.startTimeoutMs ?? 45_000,
      "the gateway's listening line",
    );
    origin = line.match(LISTENING)![1].replace(/\/functions\/v1$/, "");
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\nstderr:\n${stderr.lines.slice(-20).join("\n")}`);
  }

  const parse = (line: string): LogRecord | undefined => {
    if (!line.startsWith("{")) return undefined;
    try {
      return JSON.parse(line);
    } catch {
      return undefined;
    }
  };
  return {
    origin,
    stdout,
    stderr,
    records: () => stdout.lines.map(parse).filter((r): r is LogRecord => r !== undefined),
    waitForRecord: async (match, timeoutMs) =>
      parse(
        await stdout.waitFor(
          (line) => {
            const record = parse(line);
            return record !== undefined && match(record);
          },
          timeoutMs,
          "a matching log record",
        ),
      )!,
    stop,
  };
}

function inherited(names: string[]): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((name) => {
      const value = Deno.env.get(name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

function redisEnv(env: Record<string, string>): Record<string, string> {
  const { UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN } = env;
  return UPSTASH_REDIS_REST_URL ? { UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN } : {};
}

interface FreshDatabase {
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A new, empty database for the subprocess, so its first start migrates and seeds it. */
async function freshDatabase(workdir: string): Promise<FreshDatabase> {
  const serverUrl = Deno.env.get("DATABASE_URL");
  if (!serverUrl) {
    // The harness's in-memory PGlite takes one connection; the subprocess embeds its own.
    return { env: { EMBEDDED_DB_DIR: `${workdir}/pglite` }, drop: () => Promise.resolve() };
  }
  const database = await createScratchDatabase(serverUrl, TEST_DB_PREFIX);
  return { env: { DATABASE_URL: database.url }, drop: database.drop };
}
