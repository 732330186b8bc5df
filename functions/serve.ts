/**
 * `deno task dev`: the local gateway. Starts (or opens) the database, applies
 * migrations and the demo seed when it is new, mounts every function under
 * /functions/v1/<name>, and prints demo tokens and example requests.
 *
 * It is never a production server: it seeds demo users (an admin among them)
 * and prints their tokens, so it refuses APP_ENV=production before touching
 * the database, and prints tokens only in development.
 */
import { config, reloadConfig } from "../shared/config.ts";
import { db } from "../shared/db/mod.ts";
import { prepareDatabase } from "../shared/db/migrate.ts";
import { log } from "../shared/log.ts";
import { guardProcess } from "../shared/process_guard.ts";
import { createGateway } from "./gateway.ts";
import { printBanner } from "./_dev/banner.ts";
import { DEV_FUNCTIONS } from "./_dev/dev_functions.ts";
import { useEmbeddedDatabase } from "../shared/db/embedded.ts";
import { startPeriodicJobs } from "./periodic_jobs.ts";

if (import.meta.main) {
  refuseProduction();
  guardProcess();
  const settings = config();
  useEmbeddedDatabase();
  const sql = await db();
  const { fresh, applied } = await prepareDatabase(sql, { seed: true });
  log.info("database ready", { fresh, applied });
  const gateway = createGateway(DEV_FUNCTIONS);
  const server = Deno.serve({
    port: settings.PORT,
    hostname: "127.0.0.1",
    onListen: async ({ port }) => {
      const tokenSecret = settings.APP_ENV === "development" ? settings.JWT_SECRET : undefined;
      console.log(await printBanner(`http://127.0.0.1:${port}`, tokenSecret));
    },
  }, gateway.fetch);
  pointFunctionsBaseUrlAt(`http://127.0.0.1:${server.addr.port}`);
  const stopLoops = startPeriodicJobs(
    gateway.fetch,
    `http://127.0.0.1:${server.addr.port}/functions/v1`,
    settings.SCHEDULER_SECRET,
  );
  const stop = async () => {
    stopLoops();
    await server.shutdown();
    await sql.end({ timeout: 2 });
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

function refuseProduction(): void {
  const appEnv = Deno.env.get("APP_ENV");
  if (appEnv !== "production" && !Deno.env.get("SB_REGION")) return;
  console.error(
    "deno task dev is the local gateway: it seeds demo users and prints their tokens, so it " +
      "refuses APP_ENV=production. Deploy the functions to Supabase (see the README).",
  );
  Deno.exit(1);
}

/**
 * Links the functions hand out (the simulated checkout_url, Mercado Pago's
 * notification_url) must reach this gateway: with PORT other than 54321, or 0,
 * the default SUPABASE_URL would point elsewhere. An explicit FUNCTIONS_BASE_URL
 * or SUPABASE_URL (a tunnel, say) is kept.
 */
function pointFunctionsBaseUrlAt(origin: string): void {
  if (Deno.env.get("FUNCTIONS_BASE_URL") || Deno.env.get("SUPABASE_URL")) return;
  reloadConfig({ FUNCTIONS_BASE_URL: `${origin}/functions/v1` });
}
