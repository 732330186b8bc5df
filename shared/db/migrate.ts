/**
 * Applies `supabase/migrations/*.sql` in order, each once, recorded in the
 * same table the Supabase CLI uses, so a database migrated here and one
 * migrated by `supabase migration up` agree on what has been applied.
 */
import type { Sql } from "./pool.ts";

const SUPABASE_DIR = new URL("../../supabase/", import.meta.url);
export const MIGRATIONS_DIR = new URL("migrations/", SUPABASE_DIR);
export const SEED_FILE = new URL("seed.sql", SUPABASE_DIR);
/** What Supabase provides and plain PostgreSQL/PGlite lack (auth schema, API roles). */
export const LOCAL_SUPABASE_FILE = new URL("bootstrap/local_supabase.sql", SUPABASE_DIR);

// Any constant works; it only has to be the same for every migrator.
const MIGRATION_LOCK_KEY = 7_310_042;

export interface Migration {
  version: string;
  name: string;
  file: URL;
}

export async function listMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = entry.name.match(/^(\d{14})_(\w+)\.sql$/);
    if (entry.isFile && match) {
      migrations.push({ version: match[1], name: match[2], file: new URL(entry.name, dir) });
    }
  }
  return migrations.sort((a, b) => a.version.localeCompare(b.version));
}

/** Creates the auth schema and API roles when the server is not a Supabase project. */
export async function ensureLocalSupabase(sql: Sql): Promise<boolean> {
  const [{ present }] = await sql<{ present: boolean }[]>`
    select to_regclass('auth.users') is not null as present`;
  if (present) return false;
  await sql.unsafe(await Deno.readTextFile(LOCAL_SUPABASE_FILE));
  return true;
}

/** Applies every pending migration; returns the versions applied by this call. */
export async function applyMigrations(sql: Sql, dir: URL = MIGRATIONS_DIR): Promise<string[]> {
  await sql.unsafe(`
    create schema if not exists supabase_migrations;
    create table if not exists supabase_migrations.schema_migrations (
      version text primary key, statements text[], name text);`);
  const applied: string[] = [];
  for (const migration of await listMigrations(dir)) {
    const text = await Deno.readTextFile(migration.file);
    const ran = await sql.begin(async (tx) => {
      // Serialises concurrent migrators (two gateways starting at once).
      // A migration may outlast the pool's per-statement bound on a busy machine.
      await tx`set local statement_timeout = 0`;
      await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
      const [done] = await tx`
        select 1 from supabase_migrations.schema_migrations where version = ${migration.version}`;
      if (done) return false;
      await tx.unsafe(text);
      await tx`insert into supabase_migrations.schema_migrations (version, name, statements)
               values (${migration.version}, ${migration.name}, ${[text]})`;
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}

export async function applySeed(sql: Sql, file: URL = SEED_FILE): Promise<void> {
  await sql.unsafe(await Deno.readTextFile(file));
}

/**
 * Everything a local database needs: the Supabase shim when missing, all
 * migrations, and the demo seed when `seed` is set and the database was new.
 */
export async function prepareDatabase(
  sql: Sql,
  { seed = false }: { seed?: boolean } = {},
): Promise<{ fresh: boolean; applied: string[] }> {
  await ensureLocalSupabase(sql);
  const [{ count }] = await sql<{ count: number }[]>`
    select count(*)::int as count from pg_namespace n
    join pg_class c on c.relnamespace = n.oid
    where n.nspname = 'supabase_migrations' and c.relname = 'schema_migrations'`;
  const previously = count === 0 ? 0 : (await sql<{ n: number }[]>`
        select count(*)::int as n from supabase_migrations.schema_migrations`)[0].n;
  const applied = await applyMigrations(sql);
  const fresh = previously === 0;
  if (seed && fresh) await applySeed(sql);
  return { fresh, applied };
}
