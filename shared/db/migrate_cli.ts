/** `deno task migrate [--seed]`: applies pending migrations to the configured database. */
import { db } from "./mod.ts";
import { useEmbeddedDatabase } from "./embedded.ts";
import { prepareDatabase } from "./migrate.ts";

if (import.meta.main) {
  // Without DATABASE_URL: the dev gateway's embedded database (EMBEDDED_DB_DIR).
  useEmbeddedDatabase();
  const sql = await db();
  const { applied, fresh } = await prepareDatabase(sql, { seed: Deno.args.includes("--seed") });
  console.log(
    applied.length ? `applied ${applied.join(", ")}` : "database is up to date",
    fresh && Deno.args.includes("--seed") ? "(seeded)" : "",
  );
  await sql.end();
  Deno.exit(0);
}
