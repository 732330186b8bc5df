/**
 * `deno task start`: the self-hosted production server. One process serves
 * every function at /functions/v1/<name> (Supabase's mount) on HOST:PORT. It
 * never migrates (`deno task migrate`), seeds or runs periodic jobs
 * (`deno task worker`), and starts only with APP_ENV=production, so the
 * production config rules apply (a missing secret stops it, named). On
 * SIGTERM/SIGINT it stops accepting, lets in-flight requests finish, closes
 * the database pool and exits 0.
 */
import { config, ConfigError } from "../shared/config.ts";
import { closeDb } from "../shared/db/mod.ts";
import { log } from "../shared/log.ts";
import { guardProcess } from "../shared/process_guard.ts";
import { createFunctionsRouter } from "./router.ts";
import { FUNCTIONS } from "./registry.ts";

// Longer than any request may take (statement timeout 10 s), shorter than an orchestrator's
// kill grace (Docker and Kubernetes: 10–30 s).
const DRAIN_TIMEOUT_MS = 9_000;

export interface RunningServer {
  url: string;
  /** Stops accepting, waits for in-flight requests (bounded), closes the pool. */
  shutdown(): Promise<void>;
}

export function startServer(): RunningServer {
  const settings = config();
  if (!settings.isProduction) {
    throw new ConfigError(
      "deno task start is the production server: set APP_ENV=production (deno task dev for local)",
    );
  }
  const { router } = createFunctionsRouter(FUNCTIONS);
  const server = Deno.serve({
    hostname: settings.HOST,
    port: settings.PORT,
    onListen: () => {},
  }, router.fetch);
  const url = `http://${settings.HOST}:${server.addr.port}`;
  log.info("server listening", { url, functions: Object.keys(FUNCTIONS) });
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      log.info("server draining");
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        server.shutdown(),
        new Promise((resolve) => timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)),
      ]);
      clearTimeout(timer);
      await closeDb();
      log.info("server stopped");
    })();
  return { url, shutdown };
}

if (import.meta.main) {
  guardProcess();
  let running: RunningServer;
  try {
    running = startServer();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
  const stop = async () => {
    await running.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
