/**
 * Every environment variable the backend reads (config_schema.ts), validated once with zod.
 *
 * Dev defaults are explicit (see DEV_DEFAULTS) so `deno task dev` runs with no
 * env at all. With APP_ENV=production none of them applies, whatever else is
 * set: a deploy that forgot a secret, or set a weak one, fails at boot naming
 * the variable (config_production.ts).
 */
import { configSchema, type RawConfig } from "./config_schema.ts";
import { productionProblem } from "./config_production.ts";

export type { RawConfig };

export const DEV_JWT_SECRET = "crodify-dev-jwt-secret-not-for-production-000000";
export const DEV_WEBHOOK_SECRET = "crodify-dev-webhook-secret";
export const DEV_SCHEDULER_SECRET = "crodify-dev-scheduler-secret";

/** Used only outside production; production must set each of these itself. */
const DEV_DEFAULTS = {
  SUPABASE_URL: "http://127.0.0.1:54321",
  MERCADOPAGO_WEBHOOK_SECRET: DEV_WEBHOOK_SECRET,
  SCHEDULER_SECRET: DEV_SCHEDULER_SECRET,
  EMAIL_FROM: "Crodify <tickets@crodify.local>",
  CORS_ORIGINS: "*",
  PUBLIC_APP_URL: "http://127.0.0.1:5173",
} as const;

/** Every value published in this repository, which production must never run on. */
const PUBLISHED_DEV_VALUES: Record<string, string> = {
  ...DEV_DEFAULTS,
  JWT_SECRET: DEV_JWT_SECRET,
  SUPABASE_JWT_SECRET: DEV_JWT_SECRET,
};

export type Config =
  & Omit<RawConfig, keyof typeof DEV_DEFAULTS | "JWT_SECRET" | "SUPABASE_JWT_SECRET">
  & { [K in keyof typeof DEV_DEFAULTS]: string }
  & {
    /** The HS256 secret; undefined (JWKS only) unless configured, or the dev default. */
    JWT_SECRET: string | undefined;
    /** The database to use, or undefined for the embedded PGlite. */
    databaseUrl: string | undefined;
    corsOrigins: string[];
    functionsBaseUrl: string;
    /** The project's API keys a visitor (publishable, anon) or a server (secret) presents. */
    apiKeys: { publishable: string[]; secret: string[] };
    isProduction: boolean;
  };

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Supabase's hosted runtime sets SB_REGION (never a local stack): there APP_ENV
 * defaults to production, and anything else is refused, so a deploy that
 * forgot APP_ENV never runs on the published dev secrets.
 */
function appEnv(env: Record<string, string | undefined>): string {
  const hosted = Boolean(env.SB_REGION);
  const value = env.APP_ENV || (hosted ? "production" : "development");
  if (hosted && value !== "production") {
    throw new ConfigError(
      `APP_ENV=${value} is refused on a hosted Supabase project (SB_REGION is set); ` +
        "it would run on the published dev secrets",
    );
  }
  return value;
}

/** Parses an env record; pure so tests can feed it any environment. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const source: Record<string, string | undefined> = { ...env, APP_ENV: appEnv(env) };
  // The seed called SendGrid's key EMAIL_API_KEY; accept it as an alias.
  source.SENDGRID_API_KEY ??= env.EMAIL_API_KEY;
  for (const [key, value] of Object.entries(source)) {
    if (value === "") delete source[key];
  }
  const parsed = configSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `Invalid environment variable ${String(issue.path[0])}: ${issue.message}`,
    );
  }
  const raw = parsed.data;
  const isProduction = raw.APP_ENV === "production";
  const problem = isProduction ? productionProblem(raw, PUBLISHED_DEV_VALUES) : undefined;
  if (problem) throw new ConfigError(`APP_ENV=production refuses to start: ${problem}`);
  // Production gets no default at all: every value below was checked as set.
  const settings = isProduction
    ? stripUndefined(raw) as typeof DEV_DEFAULTS & RawConfig
    : { ...DEV_DEFAULTS, ...stripUndefined(raw) };
  return {
    ...settings,
    JWT_SECRET: raw.JWT_SECRET ?? raw.SUPABASE_JWT_SECRET ??
      (isProduction ? undefined : DEV_JWT_SECRET),
    databaseUrl: raw.DATABASE_URL ?? raw.SUPABASE_DB_URL,
    corsOrigins: settings.CORS_ORIGINS.split(",").map((o) => o.trim()).filter(Boolean),
    functionsBaseUrl: raw.FUNCTIONS_BASE_URL ?? `${settings.SUPABASE_URL}/functions/v1`,
    apiKeys: {
      publishable: [
        ...projectKeys(raw, "SUPABASE_PUBLISHABLE_KEYS", "SUPABASE_PUBLISHABLE_KEY"),
        ...(raw.SUPABASE_ANON_KEY ? [raw.SUPABASE_ANON_KEY] : []),
      ],
      secret: [
        ...projectKeys(raw, "SUPABASE_SECRET_KEYS", "SUPABASE_SECRET_KEY"),
        ...(raw.SUPABASE_SERVICE_ROLE_KEY ? [raw.SUPABASE_SERVICE_ROLE_KEY] : []),
      ],
    },
    isProduction,
  } as Config;
}

/**
 * The values of a key dictionary (`{"default":"sb_…","web":"sb_…"}`, as Supabase
 * injects it), else the singular variable, as `@supabase/server` reads them.
 */
function projectKeys(
  raw: RawConfig,
  plural: "SUPABASE_PUBLISHABLE_KEYS" | "SUPABASE_SECRET_KEYS",
  singular: "SUPABASE_PUBLISHABLE_KEY" | "SUPABASE_SECRET_KEY",
): string[] {
  const json = raw[plural];
  if (!json) return raw[singular] ? [raw[singular]] : [];
  let keys: unknown;
  try {
    keys = JSON.parse(json);
  } catch {
    keys = undefined;
  }
  const values = keys && typeof keys === "object" && !Array.isArray(keys)
    ? Object.values(keys)
    : [];
  if (values.length === 0 || values.some((v) => typeof v !== "string" || v.length < 16)) {
    throw new ConfigError(`Invalid environment variable ${plural}: expected {"name":"<key>",…}`);
  }
  return values as string[];
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
