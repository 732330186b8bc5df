/**
 * Throwaway databases on a shared PostgreSQL server (test runs, the e2e
 * gateway, benchmarks): named after their creation time and process, dropped
 * by their owner, and cleaned up by a later run when their owner died.
 */
import postgres from "postgres";

/** Older than any run could last, and nobody connected: left behind by a dead run. */
const ABANDONED_AFTER_MS = 3 * 60 * 60 * 1000;

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(serverUrl: string, fn: (admin: postgres.Sql) => Promise<T>) {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** Creates an empty database named `<prefix><time>_<pid>`, after dropping abandoned ones. */
export async function createScratchDatabase(
  serverUrl: string,
  prefix: string,
): Promise<ScratchDatabase> {
  // Creation time first, so an abandoned database's age can be read from its name.
  const name = `${prefix}${Date.now().toString(36)}_${Deno.pid}`;
  await withAdmin(serverUrl, async (admin) => {
    await dropAbandoned(admin, prefix);
    await admin.unsafe(`create database ${name}`);
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      withAdmin(serverUrl, (admin) => admin.unsafe(`drop database if exists ${name} with (force)`))
        .then(() => {}),
  };
}

/**
 * A database counts as abandoned only when nobody is connected to it and it is
 * older than a run could last: engineers and CI share this server, and a pid
 * check cannot see processes in other sandboxes.
 */
async function dropAbandoned(admin: postgres.Sql, prefix: string): Promise<void> {
  const rows = await admin<{ datname: string }[]>`
    select d.datname from pg_database d
     where d.datname like ${prefix + "%"}
       and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)`;
  for (const { datname } of rows) {
    const createdAt = parseInt(datname.slice(prefix.length).split("_")[0], 36);
    if (Number.isFinite(createdAt) && Date.now() - createdAt > ABANDONED_AFTER_MS) {
      await admin.unsafe(`drop database if exists ${datname} with (force)`);
    }
  }
}
