/** Liveness and readiness: a real query and a real Redis ping, each bounded in time. */
import type { Sql } from "../../shared/db.ts";
import type { Cache } from "../../shared/cache.ts";

export interface ComponentCheck {
  ok: boolean;
  ms: number;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  checks: { database: ComponentCheck; redis: ComponentCheck };
}

// A probe must answer within the orchestrator's timeout even when a dependency hangs.
const CHECK_TIMEOUT_MS = 2000;

async function timed(probe: () => Promise<unknown>): Promise<ComponentCheck> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), CHECK_TIMEOUT_MS);
    });
    const ok = await Promise.race([probe(), timeout]);
    if (ok === false) throw new Error("no answer");
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, ms: Math.round(performance.now() - started), error: message };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(
  database: () => Promise<Sql>,
  redis: Cache,
): Promise<Readiness> {
  const [db, cacheCheck] = await Promise.all([
    timed(async () => {
      const sql = await database();
      return await sql`select 1`;
    }),
    timed(() => redis.ping()),
  ]);
  return { ready: db.ok && cacheCheck.ok, checks: { database: db, redis: cacheCheck } };
}
