/**
 * The embedded database for local runs: PGlite persisted in a directory,
 * served over the Postgres wire protocol by pglite-socket so the same
 * postgres.js code runs against it.
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

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
