/**
 * The schema as it was before a given migration: a temporary directory with
 * every migration that sorts earlier, for applyMigrations(sql, dir). Used to
 * test a migration on live data and to benchmark before against after.
 */
import { listMigrations } from "../../shared/db/migrate.ts";

/** The held-counter migration: everything before it is "the old schema" of issue 15. */
export const HELD_COUNTER_VERSION = "20261130131500";

/** A temp dir (file URL) holding the migrations before `version`; remove() deletes it. */
export async function migrationsBefore(version: string) {
  const dir = await Deno.makeTempDir({ prefix: "crodify_old_schema_" });
  for (const m of await listMigrations()) {
    if (m.version < version) await Deno.copyFile(m.file, `${dir}/${m.version}_${m.name}.sql`);
  }
  return {
    url: new URL(`file://${dir}/`),
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}
