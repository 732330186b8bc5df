/**
 * Every environment variable the backend reads, validated once with zod.
 *
 * Dev defaults are explicit (see DEV_DEFAULTS) so `deno task dev` runs with no
 * env at all, and they are refused when APP_ENV=production: a production
 * deploy that forgot a secret fails at boot, naming the variable.
 */
import { z } from "zod";

export const DEV_JWT_SECRET = "crodify-dev-jwt-secret-not-for-production-000000";
export const DEV_WEBHOOK_SECRET = "crodify-dev-webhook-secret";
export const DEV_SCHEDULER_SECRET = "crodify-dev-scheduler-secret";

const DEV_DEFAULTS = {
  SUPABASE_URL: "http://127.0.0.1:54321",
  SUPABASE_JWT_SECRET: DEV_JWT_SECRET,
  MERCADOPAGO_WEBHOOK_SECRET: DEV_WEBHOOK_SECRET,
  SCHEDULER_SECRET: DEV_SCHEDULER_SECRET,
  EMAIL_FROM: "Crodify <tickets@crodify.local>",
  CORS_ORIGINS: "*",
  PUBLIC_APP_URL: "http://127.0.0.1:5173",
} as const;

/** Variables that production must set itself; dev gets DEV_DEFAULTS. */
const REQUIRED_IN_PRODUCTION = [
  "SUPABASE_URL",
  "MERCADOPAGO_WEBHOOK_SECRET",
  "SCHEDULER_SECRET",
  "EMAIL_FROM",
  "CORS_ORIGINS",
  "PUBLIC_APP_URL",
] as const;

const optionalString = z.string().trim().min(1).optional();
const optionalUrl = z.url().optional();

const schema = z.object({
  APP_ENV: z.enum(["development", "test", "production"]).default("development"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  PORT: z.coerce.number().int().min(0).max(65535).default(54321),
  DATABASE_URL: optionalUrl,
  SUPABASE_DB_URL: optionalUrl,
  /** Where the embedded PGlite keeps its files when no database URL is set. */
  EMBEDDED_DB_DIR: z.string().default(".data/pglite"),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  SUPABASE_URL: optionalUrl,
  SUPABASE_JWT_SECRET: z.string().min(32).optional(),
  SUPABASE_JWKS: optionalString,
  /** Expected `iss` claim; checked only when set. */
  SUPABASE_JWT_ISSUER: optionalString,
  UPSTASH_REDIS_REST_URL: optionalUrl,
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  MERCADOPAGO_ACCESS_TOKEN: optionalString,
  MERCADOPAGO_WEBHOOK_SECRET: optionalString,
  /** Overrides the Mercado Pago API base URL (tests point it at a fake server). */
  MERCADOPAGO_BASE_URL: optionalUrl,
  SENDGRID_API_KEY: optionalString,
  /** Overrides the SendGrid API base URL (tests point it at a fake server). */
  SENDGRID_BASE_URL: optionalUrl,
  EMAIL_FROM: optionalString,
  TICKET_SIGNING_KEYS: optionalString,
  /** Where the dev signing key is generated and kept when TICKET_SIGNING_KEYS is unset. */
  TICKET_KEY_FILE: z.string().default(".data/ticket_signing_key.json"),
  SCHEDULER_SECRET: optionalString,
  CORS_ORIGINS: optionalString,
  PUBLIC_APP_URL: optionalUrl,
  /** Public base URL of the functions, e.g. https://<ref>.supabase.co/functions/v1 */
  FUNCTIONS_BASE_URL: optionalUrl,
  HOLD_MINUTES: z.coerce.number().int().min(1).max(120).default(15),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
  /** Version reported by /health; set by the deploy pipeline. */
  APP_VERSION: z.string().default("dev"),
});

type Raw = z.infer<typeof schema>;

export type Config =
  & Omit<Raw, keyof typeof DEV_DEFAULTS | "SUPABASE_URL">
  & { [K in keyof typeof DEV_DEFAULTS]: string }
  & {
    /** The database to use, or undefined for the embedded PGlite. */
    databaseUrl: string | undefined;
    corsOrigins: string[];
    functionsBaseUrl: string;
    isProduction: boolean;
  };

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses an env record; pure so tests can feed it any environment. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const source = { ...env };
  // The seed called SendGrid's key EMAIL_API_KEY; accept it as an alias.
  source.SENDGRID_API_KEY ??= env.EMAIL_API_KEY;
  for (const [key, value] of Object.entries(source)) {
    if (value === "") delete source[key];
  }
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `Invalid environment variable ${String(issue.path[0])}: ${issue.message}`,
    );
  }
  const raw = parsed.data;
  const isProduction = raw.APP_ENV === "production";
  if (isProduction) assertProductionReady(raw);
  const withDefaults = { ...DEV_DEFAULTS, ...stripUndefined(raw) };
  return {
    ...withDefaults,
    databaseUrl: raw.DATABASE_URL ?? raw.SUPABASE_DB_URL,
    corsOrigins: withDefaults.CORS_ORIGINS.split(",").map((o) => o.trim()).filter(Boolean),
    functionsBaseUrl: raw.FUNCTIONS_BASE_URL ?? `${withDefaults.SUPABASE_URL}/functions/v1`,
    isProduction,
  } as Config;
}

function assertProductionReady(raw: Raw): void {
  const missing: string[] = REQUIRED_IN_PRODUCTION.filter((key) => raw[key] === undefined);
  if (!raw.DATABASE_URL && !raw.SUPABASE_DB_URL) missing.push("DATABASE_URL");
  if (!raw.SUPABASE_JWT_SECRET && !raw.SUPABASE_JWKS && !raw.SUPABASE_URL) {
    missing.push("SUPABASE_JWT_SECRET");
  }
  if (!raw.MERCADOPAGO_ACCESS_TOKEN) missing.push("MERCADOPAGO_ACCESS_TOKEN");
  if (!raw.SENDGRID_API_KEY) missing.push("SENDGRID_API_KEY");
  if (!raw.TICKET_SIGNING_KEYS) missing.push("TICKET_SIGNING_KEYS");
  if (!raw.UPSTASH_REDIS_REST_URL || !raw.UPSTASH_REDIS_REST_TOKEN) {
    missing.push("UPSTASH_REDIS_REST_URL");
  }
  if (missing.length > 0) {
    throw new ConfigError(
      `APP_ENV=production refuses dev defaults; set ${missing.join(", ")}`,
    );
  }
  for (const [key, devValue] of Object.entries(DEV_DEFAULTS)) {
    if (raw[key as keyof Raw] === devValue) {
      throw new ConfigError(`APP_ENV=production refuses the dev default for ${key}`);
    }
  }
  if (raw.CORS_ORIGINS?.split(",").some((origin) => origin.trim() === "*")) {
    throw new ConfigError("APP_ENV=production refuses CORS_ORIGINS=*");
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

let cached: Config | undefined;

/** The process's configuration, parsed on first use and then reused. */
export function config(): Config {
  cached ??= parseConfig(Deno.env.toObject());
  return cached;
}

/** Re-reads the environment with `overrides` on top (the local gateway, once it knows its port). */
export function reloadConfig(overrides?: Record<string, string | undefined>): Config {
  cached = parseConfig({ ...Deno.env.toObject(), ...overrides });
  return cached;
}

/** Tests switch settings (fake providers, another database) between cases. */
export const resetConfigForTests = reloadConfig;
