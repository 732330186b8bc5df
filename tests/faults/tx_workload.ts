/**
 * A subprocess for the driver crash test: CONCURRENCY loops of short
 * transactions through shared/db's withTx (as the services run them) against
 * DATABASE_URL. Every 100 ms it prints a JSON line of counts; when stdin closes
 * it stops, waits for every loop, and prints the final line with `done: true`.
 * The parent restarts the database under it and checks that it lives.
 */
import { createSql } from "../../shared/db/connect.ts";
import { withTx } from "../../shared/db/mod.ts";
import { guardedErrors, guardProcess } from "../../shared/process_guard.ts";

// As every entry point does. The parent fails the test if anything reached the guard: the
// driver must settle every error itself (`guarded` in the counts).
guardProcess();

const sql = createSql(Deno.env.get("DATABASE_URL")!, { max: 10 });
const errors: Record<string, number> = {};
let ok = 0;
let inflight = 0;
let stopping = false;

async function loop() {
  while (!stopping) {
    inflight++;
    try {
      await withTx(sql, async (tx) => {
        await tx`select pg_sleep(0.002)`;
        await tx`select count(*) from pg_class where relname = ${"pg_class"}`;
      });
      ok++;
    } catch (error) {
      const code = String((error as { code?: string }).code ?? (error as Error).name);
      errors[code] = (errors[code] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      inflight--;
    }
  }
}

const report = (done = false) =>
  console.log(JSON.stringify({ ok, inflight, errors, guarded: guardedErrors(), done }));
const loops = Array.from({ length: Number(Deno.env.get("CONCURRENCY") ?? 20) }, loop);
const ticker = setInterval(report, 100);
for await (const _ of Deno.stdin.readable) { /* until the parent closes stdin */ }
stopping = true;
await Promise.all(loops);
clearInterval(ticker);
report(true);
await sql.end({ timeout: 1 });
