/**
 * The processes a deployment runs, started as its users start them:
 * `deno task start` / `deno task worker` (the exact command deno.json gives,
 * run directly so signals reach Deno itself), and each function's entry point
 * under the Edge Runtime's Deno behind a router that mounts it at
 * /functions/v1/<name> as Supabase does.
 */
import { type LineLog, spawnLogged } from "../support/lines.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

export interface ServiceProcess {
  /** e.g. http://127.0.0.1:41234 (servers); "" for the worker. */
  origin: string;
  stdout: LineLog;
  stderr: LineLog;
  /** Sends `signal` and resolves with the exit status. Idempotent. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** A deno.json task's command as arguments for this Deno (`deno run …` → [run, …]). */
export async function taskArgs(task: string): Promise<string[]> {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  const [deno, ...args] = String(tasks[task]).split(/\s+/);
  if (deno !== "deno") throw new Error(`task ${task} does not start with deno: ${tasks[task]}`);
  return args;
}

export interface SpawnOptions {
  args: string[];
  env: Record<string, string>;
  /** A stdout line showing the process is ready; its first group is the origin. */
  ready: RegExp;
  deno?: string;
  timeoutMs?: number;
}

export async function spawnService(options: SpawnOptions): Promise<ServiceProcess> {
  const { child, stdout, stderr } = spawnLogged(options.deno ?? Deno.execPath(), {
    args: options.args,
    cwd: ROOT,
    clearEnv: true,
    env: { ...inherited(), ...options.env },
  });
  let stopped: Promise<Deno.CommandStatus> | undefined;
  const stop = (signal: Deno.Signal = "SIGTERM") =>
    stopped ??= (async () => {
      try {
        child.kill(signal);
      } catch { /* already exited */ }
      const status = await child.status;
      await Promise.all([stdout.ended, stderr.ended]);
      return status;
    })();
  try {
    const line = await stdout.waitFor(
      (l) => options.ready.test(l),
      options.timeoutMs ?? 60_000,
      `${options.ready} from ${options.args.join(" ")}`,
    );
    return { origin: line.match(options.ready)![1] ?? "", stdout, stderr, stop };
  } catch (error) {
    await stop("SIGKILL");
    throw new Error(`${(error as Error).message}\nstderr:\n${stderr.lines.slice(-20).join("\n")}`);
  }
}

/** What a child process needs from this one (the rest of its environment is given). */
export function inherited(): Record<string, string> {
  const names = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "NO_COLOR", "DENO_TLS_CA_STORE"];
  return Object.fromEntries(
    names.flatMap((name) => {
      const value = Deno.env.get(name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

const LISTENING = /"msg":"server listening","url":"([^"]+)"/;

/** `deno task start` in production mode on a free port of 127.0.0.1. */
export async function startServer(env: Record<string, string>): Promise<ServiceProcess> {
  return await spawnService({
    args: await taskArgs("start"),
    env: { ...env, HOST: "127.0.0.1", PORT: "0" },
    ready: LISTENING,
  });
}

/** `deno task worker` against `functionsBase`. */
export async function startWorker(
  env: Record<string, string>,
  functionsBase: string,
): Promise<ServiceProcess> {
  return await spawnService({
    args: await taskArgs("worker"),
    env: { ...env, FUNCTIONS_BASE_URL: functionsBase },
    ready: /"msg":"(worker started)"/,
  });
}
