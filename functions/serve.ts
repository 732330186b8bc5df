/**
 * `deno task dev`: the local gateway. Starts (or opens) the database, applies
 * migrations and the demo seed when it is new, mounts every function under
 * /functions/v1/<name>, and prints demo tokens and example requests.
 */
import { config, reloadConfig } from "../shared/config.ts";
import { db } from "../shared/db.ts";
import { prepareDatabase } from "../shared/db/migrate.ts";
import { log } from "../shared/log.ts";
import { createGateway } from "./gateway.ts";
import { FUNCTIONS } from "./registry.ts";
import { printBanner } from "./_dev/banner.ts";
import { startDevLoops } from "./_dev/loops.ts";

if (import.meta.main) {
  const settings = config();
  const sql = await db();
  const { fresh, applied } = await prepareDatabase(sql, { seed: true });
  log.info("database ready", { fresh, applied });
  const gateway = createGateway(FUNCTIONS);
  const server = Deno.serve({
    port: settings.PORT,
    hostname: "127.0.0.1",
    onListen: async ({ port }) => {
      console.log(await printBanner(`http://127.0.0.1:${port}`, settings.SUPABASE_JWT_SECRET));
    },
  }, gateway.fetch);
  pointFunctionsBaseUrlAt(`http://127.0.0.1:${server.addr.port}`);
  const stopLoops = startDevLoops(
    gateway.fetch,
    `http://127.0.0.1:${server.addr.port}`,
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
