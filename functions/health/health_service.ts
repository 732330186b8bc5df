/**
 * Readiness: can this instance serve its core paths? Only the database is
 * required (every sale, scan and read needs it); Redis, SendGrid and Mercado
 * Pago are optional at that moment — the API keeps serving without them
 * (cache misses, limits fail open, mail waits in the outbox, checkout answers
 * 502) — so they make the instance `degraded`, never unready: an
 * orchestrator must not pull healthy instances because Upstash is down.
 */
import type { Sql } from "../../shared/db/mod.ts";
import type { Cache } from "../../shared/cache/mod.ts";
import type { BreakerState } from "../../shared/circuit_breaker.ts";
import { errorFields, log } from "../../shared/log.ts";

export interface ComponentCheck {
  ok: boolean;
  /** How long the probe took; absent for a service judged by its recent calls. */
  ms?: number;
}

export type OptionalDependency = "redis" | "sendgrid" | "mercadopago";

export interface Readiness {
  status: "ready" | "degraded" | "unavailable";
  checks: { database: ComponentCheck } & Record<OptionalDependency, ComponentCheck>;
  /** The optional dependencies that are not answering, if any. */
  degraded: OptionalDependency[];
}

export interface ReadinessDeps {
  database: () => Promise<Sql>;
  redis: Cache;
  /** The SendGrid circuit's state (undefined: the logging transport, nothing to reach). */
  mailBreaker: () => BreakerState | undefined;
  /** Whether the last Mercado Pago call failed recently. */
  paymentsFailing: () => boolean;
}

// A probe must answer within the orchestrator's timeout even when a dependency hangs.
const CHECK_TIMEOUT_MS = 2000;

async function timed(name: string, probe: () => Promise<unknown>): Promise<ComponentCheck> {
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
    // The reason goes to the log, not to whoever asked: it may name hosts or users.
    log.warn("readiness check failed", { check: name, ...errorFields(error) });
    return { ok: false, ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(deps: ReadinessDeps): Promise<Readiness> {
  const [database, redis] = await Promise.all([
    timed("database", async () => {
      const sql = await deps.database();
      return await sql`select 1`;
    }),
    // Through the Upstash breaker: while it is open this answers false at once.
    timed("redis", () => deps.redis.ping()),
  ]);
  const checks = {
    database,
    redis,
    sendgrid: { ok: (deps.mailBreaker() ?? "closed") === "closed" },
    mercadopago: { ok: !deps.paymentsFailing() },
  };
  const degraded = (["redis", "sendgrid", "mercadopago"] as const).filter((n) => !checks[n].ok);
  const status = !database.ok ? "unavailable" : degraded.length > 0 ? "degraded" : "ready";
  return { status, checks, degraded: [...degraded] };
}
