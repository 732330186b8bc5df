/**
 * Child processes of the benchmark: the server and the Upstash proxy (each a
 * `deno run` that prints `listening …` when ready), pgbench, and machine facts.
 */

export interface Child {
  pid: number;
  /** What the child printed after `listening `: a port or a URL. */
  address: string;
  /** The last lines of its output, for diagnostics. */
  tail(): string;
  stop(): Promise<void>;
}

const ROOT = new URL("../../", import.meta.url);

/** Starts `deno run -A <script>` from the repo root and waits for its `listening` line. */
export async function startDeno(
  script: string,
  env: Record<string, string>,
  flags: string[] = [],
  timeoutMs = 60_000,
): Promise<Child> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", ...flags, script],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let announce!: (address: string) => void;
  const listening = new Promise<string>((resolve) => announce = resolve);
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    let buffered = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      for (const line of parts) {
        const match = /^listening (\S+)/.exec(line);
        if (match) announce(match[1]);
        lines.push(line);
        if (lines.length > 200) lines.shift();
      }
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const failed = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${script}: not listening after ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.status.then((s) =>
      reject(new Error(`${script} exited with ${s.code}:\n${lines.join("\n")}`))
    );
  });
  try {
    const address = await Promise.race([listening, failed]);
    return {
      pid: child.pid,
      address,
      tail: () => lines.join("\n"),
      async stop() {
        const kill = (signal: Deno.Signal) => {
          try {
            child.kill(signal);
          } catch { /* already gone */ }
        };
        kill("SIGTERM");
        // A child that does not exit on its own (e.g. with an inspector attached) is killed.
        const forced = setTimeout(() => kill("SIGKILL"), 5000);
        await child.status;
        clearTimeout(forced);
        await drained;
      },
    };
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a command to completion; its stdout and stderr as text. */
export async function run(cmd: string, args: string[], env?: Record<string, string>) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** pgbench from PGBENCH, the PATH, or the PostgreSQL install. */
export function pgbenchPath(): string {
  const fromEnv = Deno.env.get("PGBENCH");
  if (fromEnv) return fromEnv;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/pgbench`).isFile) return `${dir}/pgbench`;
    } catch { /* not here */ }
  }
  for (const version of ["17", "16", "15", "14"]) {
    const candidate = `/usr/lib/postgresql/${version}/bin/pgbench`;
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch { /* not here */ }
  }
  throw new Error("pgbench not found: install PostgreSQL's client tools or set PGBENCH");
}

export interface Machine {
  cores: number;
  cpu: string;
  load_average: number[];
  memory_gb: number;
}

export function machine(): Machine {
  let cpu = "unknown";
  try {
    cpu = /model name\s*:\s*(.+)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? cpu;
  } catch { /* not Linux */ }
  return {
    cores: navigator.hardwareConcurrency,
    cpu,
    load_average: Deno.loadavg().map((n) => Math.round(n * 100) / 100),
    memory_gb: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
  };
}

/** A port that was free a moment ago (for children that need it up front). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (user + system, ms) a process has used so far; 0 once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name (which may contain spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}
