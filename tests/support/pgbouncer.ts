/**
 * A throwaway PgBouncer (Debian's `pgbouncer`) in transaction pooling mode in
 * front of one database, standing in for Supabase's transaction pooler. It
 * listens on port 6543, the pooler's port the app recognises, on an address of
 * its own in 127.0.0.0/8 (any of them reaches this machine), so runs never
 * collide and the URL has the exact shape the deploy guide gives. As root it
 * runs as the `postgres` user (PgBouncer refuses to run as root).
 */
const PGBOUNCER = Deno.env.get("PGBOUNCER_BIN") ?? "/usr/sbin/pgbouncer";
export const POOLER_PORT = 6543;

export interface PgBouncer {
  /** postgres://<user>@127.a.b.c:6543/<database> */
  url: string;
  /** The pooler's own counters for the database (SHOW STATS on its admin console). */
  stats(): Promise<{ transactions: number; queries: number }>;
  /** Stops the pooler and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

export function pgbouncerInstalled(): boolean {
  try {
    return Deno.statSync(PGBOUNCER).isFile;
  } catch {
    return false;
  }
}

const isRoot = () => Deno.uid?.() === 0;

async function run(program: string, args: string[]): Promise<string> {
  const [command, argv] = isRoot()
    ? ["runuser", ["-u", "postgres", "--", program, ...args]]
    : [program, args];
  const output = await new Deno.Command(command, { args: argv, stdin: "null" }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`${program} ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** A loopback address whose port 6543 is free now. */
function freeLoopbackAddress(): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const [a, b, c] = crypto.getRandomValues(new Uint8Array(3));
    const hostname = `127.${a}.${b}.${Math.max(2, c % 255)}`;
    try {
      Deno.listen({ hostname, port: POOLER_PORT }).close();
      return hostname;
    } catch { /* taken: try another */ }
  }
  throw new Error(`no loopback address with a free port ${POOLER_PORT}`);
}

async function waitForPid(file: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const pid = Number(await Deno.readTextFile(file).catch(() => ""));
    if (pid > 0) return pid;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`pgbouncer wrote no pid file ${file}`);
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts PgBouncer in front of `databaseUrl` (a database on a trusting server):
 * `pool_mode = transaction`, at most `poolSize` server connections, and no
 * support for prepared statements (PgBouncer 1.18 has none), as Supavisor.
 */
export async function startPgBouncer(
  databaseUrl: string,
  { poolSize = 5 }: { poolSize?: number } = {},
): Promise<PgBouncer> {
  const target = new URL(databaseUrl);
  const database = target.pathname.slice(1);
  const user = decodeURIComponent(target.username) || "postgres";
  const dir = await Deno.makeTempDir({ prefix: "crodify-pgbouncer-" });
  if (isRoot()) {
    const chown = await new Deno.Command("chown", { args: ["postgres:postgres", dir] }).output();
    if (!chown.success) throw new Error(`chown ${dir} failed`);
  }
  const hostname = freeLoopbackAddress();
  const password = target.password ? ` password=${decodeURIComponent(target.password)}` : "";
  const server = `host=${target.hostname} port=${target.port || 5432} user=${user}${password}`;
  await Deno.writeTextFile(`${dir}/users.txt`, `"${user}" ""\n`);
  await Deno.writeTextFile(
    `${dir}/pgbouncer.ini`,
    [
      "[databases]",
      `${database} = ${server} dbname=${database}`,
      "[pgbouncer]",
      `listen_addr = ${hostname}`,
      `listen_port = ${POOLER_PORT}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${dir}/users.txt`,
      `admin_users = ${user}`,
      "pool_mode = transaction",
      `default_pool_size = ${poolSize}`,
      "max_client_conn = 500",
      `logfile = ${dir}/pgbouncer.log`,
      `pidfile = ${dir}/pgbouncer.pid`,
    ].join("\n") + "\n",
  );
  if (isRoot()) {
    for (const file of ["users.txt", "pgbouncer.ini"]) {
      await new Deno.Command("chown", { args: ["postgres:postgres", `${dir}/${file}`] }).output();
    }
  }
  await run(PGBOUNCER, ["-d", `${dir}/pgbouncer.ini`]);
  const pid = await waitForPid(`${dir}/pgbouncer.pid`);
  const url = `postgres://${encodeURIComponent(user)}@${hostname}:${POOLER_PORT}/${database}`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    stats: async () => {
      // The admin console speaks the simple query protocol only: psql, as an operator would.
      const admin = `postgres://${encodeURIComponent(user)}@${hostname}:${POOLER_PORT}/pgbouncer`;
      const output = await new Deno.Command("psql", {
        args: [admin, "-AtF", "\t", "-c", "show stats"],
        stdin: "null",
      }).output();
      const text = new TextDecoder().decode(output.stdout);
      if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
      const row = text.split("\n").map((line) => line.split("\t")).find((r) => r[0] === database);
      if (!row) throw new Error(`no stats for ${database}:\n${text}`);
      return { transactions: Number(row[1]), queries: Number(row[2]) };
    },
    stop: () =>
      stopped ??= (async () => {
        try {
          Deno.kill(pid, "SIGTERM"); // immediate shutdown (PgBouncer 1.18)
        } catch { /* already gone */ }
        const deadline = Date.now() + 10_000;
        while (alive(pid) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        if (alive(pid)) Deno.kill(pid, "SIGKILL");
        await Deno.remove(dir, { recursive: true });
      })(),
  };
}
