/**
 * A complete, valid production environment for tests that check what a
 * production deploy accepts: every secret set (long enough), https URLs, a
 * real ticket keyring, and no HS256 secret unless a test adds one — as on a
 * Supabase project that signs its tokens with asymmetric keys.
 */
import { resetConfigForTests } from "../../shared/config.ts";
import { resetAuthForTests } from "../../shared/auth.ts";
import { generateKeyEntry } from "../../shared/tickets/keys.ts";
import { setupHarness } from "./harness.ts";

export const PRODUCTION_SCHEDULER_SECRET = "prod-scheduler-secret-".padEnd(48, "s");

export async function productionEnv(
  base: Record<string, string> = {},
): Promise<Record<string, string | undefined>> {
  return {
    ...base,
    APP_ENV: "production",
    DATABASE_URL: base.DATABASE_URL ?? "postgres://app@db.example.com:6543/postgres",
    SUPABASE_URL: "https://abcdefghijklmnopqrst.supabase.co",
    UPSTASH_REDIS_REST_URL: base.UPSTASH_REDIS_REST_URL ?? "https://eu1.upstash.io",
    UPSTASH_REDIS_REST_TOKEN: base.UPSTASH_REDIS_REST_TOKEN ?? "upstash-token",
    MERCADOPAGO_ACCESS_TOKEN: "APP_USR-0000000000000000-000000",
    MERCADOPAGO_WEBHOOK_SECRET: "prod-webhook-secret-".padEnd(64, "w"),
    SCHEDULER_SECRET: PRODUCTION_SCHEDULER_SECRET,
    SENDGRID_API_KEY: "SG.production-key",
    EMAIL_FROM: "Crodify <tickets@crodify.com>",
    TICKET_SIGNING_KEYS: JSON.stringify([await generateKeyEntry("prod-1")]),
    QUEUE_SIGNING_KEYS: JSON.stringify([await generateKeyEntry("queue-1")]),
    CORS_ORIGINS: "https://crodify.com",
    PUBLIC_APP_URL: "https://crodify.com",
    // Whatever the shell running the tests exports, production here has no HS256 secret.
    JWT_SECRET: undefined,
    SUPABASE_JWT_SECRET: undefined,
  };
}

/** Runs `fn` with the harness's environment plus `overrides`, then restores it. */
export async function withConfig<T>(
  overrides: Record<string, string | undefined>,
  fn: () => Promise<T>,
): Promise<T> {
  const harness = await setupHarness();
  resetConfigForTests({ ...harness.env, ...overrides });
  resetAuthForTests();
  try {
    return await fn();
  } finally {
    resetConfigForTests(harness.env);
    resetAuthForTests();
  }
}

/** Runs `fn` with the harness's database and Redis under a production configuration. */
export async function asProduction<T>(
  fn: () => Promise<T>,
  extra: Record<string, string | undefined> = {},
): Promise<T> {
  const harness = await setupHarness();
  return await withConfig({ ...(await productionEnv(harness.env)), ...extra }, fn);
}
