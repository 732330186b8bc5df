/**
 * The server under test, in its own process so the load generator never shares
 * its event loop: `createGateway(FUNCTIONS)` exactly as `functions/serve.ts`
 * mounts it, without the dev loops or banner. Configured only by environment
 * (the driver sets DATABASE_URL, UPSTASH_REDIS_REST_*, TICKET_SIGNING_KEYS, …);
 * BENCH_REDIS_PREFIX keeps this run's Redis keys apart from other runs'.
 * Prints `listening <port>` once it accepts connections.
 */
import { resetCacheForTests } from "../../shared/cache/instance.ts";
import { config } from "../../shared/config.ts";
import { db } from "../../shared/db/mod.ts";
import { createGateway } from "../../functions/gateway.ts";
import { FUNCTIONS } from "../../functions/registry.ts";

if (import.meta.main) {
  const settings = config();
  const prefix = Deno.env.get("BENCH_REDIS_PREFIX");
  if (prefix) {
    resetCacheForTests({
      url: settings.UPSTASH_REDIS_REST_URL,
      token: settings.UPSTASH_REDIS_REST_TOKEN,
      prefix,
    });
  }
  const sql = await db();
  await sql`select 1`;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: settings.PORT,
    onListen: ({ port }) => console.log(`listening ${port}`),
  }, createGateway(FUNCTIONS).fetch);
  const stop = async () => {
    await server.shutdown();
    await sql.end({ timeout: 2 });
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
