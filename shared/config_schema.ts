/**
 * Every environment variable the backend reads and its zod rule. A leaf
 * module: config.ts parses with it, config_production.ts judges the result.
 */
import { z } from "zod";

const optionalString = z.string().trim().min(1).optional();
const optionalUrl = z.url().optional();

export const configSchema = z.object({
  APP_ENV: z.enum(["development", "test", "production"]),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  PORT: z.coerce.number().int().min(0).max(65535).default(54321),
  /** Address `deno task start` binds (0.0.0.0 in a container); the dev gateway keeps 127.0.0.1. */
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  DATABASE_URL: optionalUrl,
  SUPABASE_DB_URL: optionalUrl,
  /** Where the embedded PGlite keeps its files when no database URL is set. */
  EMBEDDED_DB_DIR: z.string().default(".data/pglite"),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /** How long a query waits for a free pool connection before the request is 503 `unavailable`. */
  DB_POOL_WAIT_MS: z.coerce.number().int().min(50).max(60_000).default(3_000),
  /**
   * Whether DATABASE_URL goes through a transaction pooler (prepared statements off, no
   * statement_timeout startup parameter). Unset: only port 6543, Supabase's Supavisor, is one.
   * Set "true" for a pooler elsewhere, e.g. PgBouncer in transaction mode on its 6432.
   */
  DB_TRANSACTION_POOLER: z.enum(["true", "false"]).optional(),
  SUPABASE_URL: optionalUrl,
  /**
   * The legacy HS256 JWT secret. Supabase refuses user secrets named SUPABASE_*,
   * so a deploy sets JWT_SECRET; SUPABASE_JWT_SECRET stays as a local alias.
   */
  JWT_SECRET: z.string().min(32).optional(),
  SUPABASE_JWT_SECRET: z.string().min(32).optional(),
  SUPABASE_JWKS: optionalString,
  /** Injected by Supabase: `{"default":"sb_publishable_…"}`; the singular forms are fallbacks. */
  SUPABASE_PUBLISHABLE_KEYS: optionalString,
  SUPABASE_PUBLISHABLE_KEY: optionalString,
  SUPABASE_SECRET_KEYS: optionalString,
  SUPABASE_SECRET_KEY: optionalString,
  /** Injected by Supabase on projects with legacy (JWT) API keys. */
  SUPABASE_ANON_KEY: optionalString,
  SUPABASE_SERVICE_ROLE_KEY: optionalString,
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
  /** Ed25519 keys that sign waiting-room admission tokens (same format as TICKET_SIGNING_KEYS). */
  QUEUE_SIGNING_KEYS: optionalString,
  QUEUE_KEY_FILE: z.string().default(".data/queue_signing_key.json"),
  /** Without a waiting room: unpaid orders one buyer may start per event within the window. */
  UNPAID_HOLDS_LIMIT: z.coerce.number().int().min(1).max(1000).default(5),
  UNPAID_HOLDS_WINDOW_MINUTES: z.coerce.number().int().min(1).max(1440).default(60),
  SCHEDULER_SECRET: optionalString,
  CORS_ORIGINS: optionalString,
  PUBLIC_APP_URL: optionalUrl,
  /** Public base URL of the functions, e.g. https://<ref>.supabase.co/functions/v1 */
  FUNCTIONS_BASE_URL: optionalUrl,
  HOLD_MINUTES: z.coerce.number().int().min(1).max(120).default(15),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
  /** Past this a request is answered 503 `unavailable`, whatever it still waits for. */
  REQUEST_DEADLINE_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Server-side bound on any one statement (not set through the 6543 pooler). */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(8_000),
  /** Version reported by /health; set by the deploy pipeline. */
  APP_VERSION: z.string().default("dev"),
});

export type RawConfig = z.infer<typeof configSchema>;
