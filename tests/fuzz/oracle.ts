/**
 * What must hold for every fuzzed request: no 5xx; an error body in the
 * documented shape with a request_id; no SQL text, stack frame, constraint
 * name or secret that the request did not itself carry; and a refused
 * request leaves every table as it was.
 */
import type { Sql } from "../../shared/db/mod.ts";

export interface Leaks {
  constraintNames: string[];
  secrets: string[];
}

const SQL_TEXT = [
  /PostgresError/,
  /SQLSTATE/i,
  /syntax error at or near/i,
  /violates (foreign key|check|unique|not-null|exclusion) constraint/i,
  /duplicate key value/i,
  /relation "[^"]+" does not exist/i,
  /invalid input syntax for/i,
  /\bselect\b[^"]{0,80}\bfrom\s+(public|auth)\./i,
];
const STACK = [/\n\s+at .+[(\s](file|ext|node):/, /\.(ts|js|mjs):\d+:\d+/];

/** The problems with one answer, as readable strings; none when it is fine. */
export function problemsWith(
  status: number,
  contentType: string,
  body: string,
  requestText: string,
  leaks: Leaks,
): string[] {
  const problems: string[] = [];
  if (status >= 500) problems.push(`status ${status}`);
  if (status >= 400) problems.push(...errorShapeProblems(contentType, body));
  for (const pattern of [...SQL_TEXT, ...STACK]) {
    if (pattern.test(body) && !pattern.test(requestText)) problems.push(`body matches ${pattern}`);
  }
  for (const name of leaks.constraintNames) {
    if (body.includes(name) && !requestText.includes(name)) problems.push(`constraint ${name}`);
  }
  for (const secret of leaks.secrets) {
    if (body.includes(secret)) problems.push("a secret in the body");
  }
  return problems;
}

function errorShapeProblems(contentType: string, body: string): string[] {
  if (!contentType.startsWith("application/json")) return [`error as ${contentType || "nothing"}`];
  try {
    const { error } = JSON.parse(body);
    const ok = typeof error?.code === "string" && /^[a-z0-9_]+$/.test(error.code) &&
      typeof error.message === "string" && typeof error.request_id === "string" &&
      error.request_id.length > 0;
    return ok ? [] : [`error shape: ${body.slice(0, 200)}`];
  } catch {
    return [`error body is not JSON: ${body.slice(0, 200)}`];
  }
}

/** Constraint names of the app's schemas, to look for in bodies. */
export async function constraintNames(sql: Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select distinct conname as name from pg_constraint
     where connamespace in ('public'::regnamespace, 'auth'::regnamespace)`;
  return rows.map((r) => r.name);
}

/**
 * Counts every row written to the app's tables (public, auth) from now on:
 * a row trigger on each table bumps one counter in the same transaction, so
 * a write that rolled back does not count. Test databases only.
 */
export async function countWrites(sql: Sql): Promise<() => Promise<number>> {
  await sql.unsafe(`
    create schema if not exists fuzz;
    create table if not exists fuzz.writes (n bigint not null);
    insert into fuzz.writes select 0 where not exists (select 1 from fuzz.writes);
    create or replace function fuzz.count_write() returns trigger language plpgsql as $$
      begin update fuzz.writes set n = n + 1; return null; end $$;
    do $$ declare t record; begin
      for t in select schemaname, tablename from pg_tables where schemaname in ('public', 'auth')
      loop
        execute format('create or replace trigger zz_fuzz_count_write after insert or update or '
          || 'delete on %I.%I for each row execute function fuzz.count_write()',
          t.schemaname, t.tablename);
      end loop;
    end $$;`);
  return async () => Number((await sql`select n from fuzz.writes`)[0].n);
}
