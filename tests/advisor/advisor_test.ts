/**
 * Supabase's database advisor (splinter, vendored in ./splinter.sql) against
 * the migrated schema: no WARN or ERROR, and no foreign key without an index
 * (that lint is INFO, but deleting a user or a ticket type scans the table).
 * INFO lints left: unused_index (a fresh database has used none) and
 * rls_enabled_no_policy on simulated_payments (no API role may read it).
 */
import assert from "node:assert/strict";
import { dbTest, setupHarness } from "../support/harness.ts";

interface Lint {
  name: string;
  level: string;
  cache_key: string;
}

const SPLINTER = new URL("./splinter.sql", import.meta.url);

dbTest("splinter: the migrated schema has no WARN or ERROR lint", async () => {
  const { sql } = await setupHarness();
  const query = await Deno.readTextFile(SPLINTER);
  const lints = await sql.begin(async (tx) => {
    // splinter.sql starts with `set local search_path = ''` and then the query.
    const [, rows] = await tx.unsafe(query).simple() as unknown as [unknown, Lint[]];
    return rows;
  });
  assert.ok(Array.isArray(lints), "splinter returned rows");
  const flagged = lints
    .filter((l) => l.level !== "INFO" || l.name === "unindexed_foreign_keys")
    .map((l) => `${l.level} ${l.cache_key}`);
  assert.deepEqual(flagged, []);
  const infos = new Set(lints.map((l) => l.name));
  for (const name of infos) {
    assert.ok(["unused_index", "rls_enabled_no_policy"].includes(name), `unexpected lint ${name}`);
  }
});
