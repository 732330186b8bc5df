/**
 * A throwaway PostgreSQL 15 cluster of a test's own (initdb into a temporary
 * directory, a free port), so fault tests can restart and kill a database
 * without touching the server everyone shares. The binaries are Debian's
 * (`PG_BIN`, default /usr/lib/postgresql/15/bin); as root the cluster runs as
 * the `postgres` user, since initdb refuses to run as root.
 */
const PG_BIN = Deno.env.get("PG_BIN") ?? "/usr/lib/postgresql/15/bin";

export interface PgCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** `pg_ctl restart -m fast`: every backend gets 57P01 and the server comes back. */
  restartFast(): Promise<void>;
  /** `pg_ctl stop -m immediate`: the server dies without a goodbye (crash recovery on start). */
  stopImmediate(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (if running) and removes its directory. Idempotent. */
  destroy(): Promise<void>;
}

const isRoot = () => Deno.uid?.() === 0;

async function run(command: string, args: string[]): Promise<string> {
  const [program, argv] = isRoot()
    ? ["runuser", ["-u", "postgres", "--", `${PG_BIN}/${command}`, ...args]]
    : [`${PG_BIN}/${command}`, args];
  const output = await new Deno.Command(program, { args: argv, stdin: "null" }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`${command} ${args.join(" ")} failed:\n${text}`);
  return text;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** `extra`: more postgresql.conf settings, e.g. { shared_preload_libraries: "'pg_cron'" }. */
export async function startPgCluster(extra: Record<string, string> = {}): Promise<PgCluster> {
  const root = await Deno.makeTempDir({ prefix: "crodify-pgcluster-" });
  if (isRoot()) {
    const chown = await new Deno.Command("chown", { args: ["postgres:postgres", root] }).output();
    if (!chown.success) throw new Error(`chown ${root} failed`);
  }
  const data = `${root}/data`;
  const port = freePort();
  await run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  // Durability is not under test here; speed and a small footprint on a shared machine are.
  const settings = [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${root}'`,
    "fsync = off",
    "synchronous_commit = off",
    "full_page_writes = off",
    "max_connections = 60",
    "shared_buffers = 32MB",
    ...Object.entries(extra).map(([key, value]) => `${key} = ${value}`),
  ];
  await Deno.writeTextFile(`${data}/postgresql.auto.conf`, settings.join("\n") + "\n", {
    append: true,
  });
  const ctl = (...args: string[]) => run("pg_ctl", ["-D", data, "-l", `${root}/log`, ...args]);
  let running = false;
  const start = async () => {
    await ctl("start", "-w", "-t", "30");
    running = true;
  };
  await start();
  let destroyed: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restartFast: async () => {
      await ctl("restart", "-m", "fast", "-w", "-t", "30");
      running = true;
    },
    stopImmediate: async () => {
      await ctl("stop", "-m", "immediate", "-w");
      running = false;
    },
    start,
    destroy: () =>
      destroyed ??= (async () => {
        if (running) await ctl("stop", "-m", "immediate", "-w").catch(() => {});
        await Deno.remove(root, { recursive: true });
      })(),
  };
}
