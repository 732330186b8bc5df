/**
 * postgres.js 3.4.9 crashed the process (`Cannot read properties of null
 * (reading 'write')` in connection.js nextWrite) when the server restarted
 * under load, and, when it did not crash, left transactions hanging forever
 * and the pool idle for up to 20 s. Our patched copy (shared/vendor/postgres), the
 * process guard every entry point installs, and
 * shared/db's reconnect backoff must keep a process running transactions
 * alive through `pg_ctl restart -m fast`, answer every transaction (ok or
 * an error), and serve again within seconds of each restart.
 */
import assert from "node:assert/strict";
import { startPgCluster } from "../support/pg_cluster.ts";
import { spawnLogged } from "../support/lines.ts";
import { REAL_SERVICES } from "../support/services.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const RESTARTS = 5;
/** From the restart command's return to the first transaction committed after it. */
const RECOVERY_MS = 10_000;

interface Progress {
  ok: number;
  inflight: number;
  /** Errors that reached the process guard (an unhandled rejection, an uncaught error). */
  guarded: number;
  errors: Record<string, number>;
  done: boolean;
}

Deno.test({
  // A PostgreSQL cluster of its own: skipped in the embedded mode (README, "Tests").
  ignore: !REAL_SERVICES,
  name: `a process running transactions survives ${RESTARTS} × pg_ctl restart -m fast`,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cluster = await startPgCluster();
    const { child, stdout, stderr } = spawnLogged(Deno.execPath(), {
      args: ["run", "--allow-all", "tests/faults/tx_workload.ts"],
      cwd: ROOT,
      env: { DATABASE_URL: cluster.url, LOG_LEVEL: "error", NO_COLOR: "1", CONCURRENCY: "20" },
      stdin: "piped",
    });
    const progress = (line: string): Progress | undefined => {
      try {
        return JSON.parse(line);
      } catch {
        return undefined;
      }
    };
    // A workload that died shows why (the crash is on its stderr), not just "output ended".
    const okAbove = (n: number, ms: number, what: string) =>
      stdout.waitFor((line) => (progress(line)?.ok ?? 0) > n, ms, what).then(
        (l) => progress(l)!,
        (error) => {
          throw new Error(
            `${error.message}; workload stderr:\n${stderr.lines.slice(-15).join("\n")}`,
          );
        },
      );
    try {
      let last = await okAbove(20, 30_000, "transactions before the first restart");
      for (let i = 1; i <= RESTARTS; i++) {
        await cluster.restartFast();
        const restartedAt = stdout.lines.length;
        const before = progress(stdout.lines.at(-1) ?? "")?.ok ?? last.ok;
        last = await okAbove(
          before + 5,
          RECOVERY_MS,
          `commits within ${RECOVERY_MS} ms of restart ${i}`,
        );
        assert.ok(stdout.lines.length > restartedAt);
      }
      await child.stdin.close();
      const final = progress(
        await stdout.waitFor((l) => progress(l)?.done === true, 10_000, "the end"),
      )!;
      const status = await child.status;
      console.log("final counts", JSON.stringify(final));
      assert.equal(status.code, 0, `the workload died:\n${stderr.lines.slice(-15).join("\n")}`);
      assert.equal(final.inflight, 0);
      assert.equal(
        final.guarded,
        0,
        `errors escaped the driver to the process guard:\n${
          stderr.lines.filter((l) => l.includes("process kept alive")).join("\n")
        }`,
      );
      assert.ok(!stderr.lines.some((l) => l.includes("reading 'write'")), stderr.lines.join("\n"));
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await Promise.all([stdout.ended, stderr.ended]);
      await cluster.destroy();
    }
  },
});
