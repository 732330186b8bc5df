/**
 * The embedded database for local runs: PGlite persisted in a directory,
 * served over the Postgres wire protocol by pglite-socket so the same
 * postgres.js code runs against it.
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { config } from "../config.ts";
import { setLocalDatabase } from "./pool.ts";
import { log } from "../log.ts";

export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startEmbeddedDatabase(
  dataDir: string | undefined,
): Promise<EmbeddedDatabase> {
  if (dataDir) await Deno.mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db: pglite, port: 0, host: "127.0.0.1" });
  await server.start();
  const address = (server as unknown as { server: { address(): { port: number } } }).server
    .address();
  return {
    url: `postgres://postgres@127.0.0.1:${address.port}/postgres`,
    port: address.port,
    stop: async () => {
      await server.stop();
      await pglite.close();
    },
  };
}

/**
 * Makes the process pool (pool.ts) start an embedded database in
 * EMBEDDED_DB_DIR when no database URL is set: `deno task dev` and
 * `deno task migrate` with no setup. Deployed functions never call this.
 */
export function useEmbeddedDatabase(): void {
  setLocalDatabase(async () => {
    const dir = config().EMBEDDED_DB_DIR;
    const embedded = await startEmbeddedDatabase(dir);
    log.info("embedded database", { data_dir: dir, port: embedded.port });
    // PGlite is single-connection: postgres.js pools larger than 1 interleave protocol messages.
    return { url: embedded.url, max: 1 };
  });
}
