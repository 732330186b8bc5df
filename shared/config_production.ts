/**
 * What APP_ENV=production refuses at boot: a missing value (no dev default
 * ever applies there), a dev default set by hand, and values too weak to
 * protect anything. Each message names the variable.
 */
import type { RawConfig } from "./config_schema.ts";
import { readKeyEntries } from "./tickets/key_format.ts";

/** Shared secrets an attacker could otherwise guess or brute-force offline. */
const MIN_SECRET_BYTES = 32;

const REQUIRED = [
  "SUPABASE_URL",
  "MERCADOPAGO_ACCESS_TOKEN",
  "MERCADOPAGO_WEBHOOK_SECRET",
  "SCHEDULER_SECRET",
  "SENDGRID_API_KEY",
  "EMAIL_FROM",
  "TICKET_SIGNING_KEYS",
  "QUEUE_SIGNING_KEYS",
  "UPSTASH_REDIS_REST_URL",
  "UPSTASH_REDIS_REST_TOKEN",
  "CORS_ORIGINS",
  "PUBLIC_APP_URL",
] as const;

const bytes = (value: string) => new TextEncoder().encode(value).length;

/**
 * The first reason production cannot start with `raw`, or undefined when it
 * can. `devValues` are the published dev defaults, by variable.
 */
export function productionProblem(
  raw: RawConfig,
  devValues: Record<string, string>,
): string | undefined {
  const missing: string[] = REQUIRED.filter((key) => raw[key] === undefined);
  if (!raw.DATABASE_URL && !raw.SUPABASE_DB_URL) missing.unshift("DATABASE_URL");
  if (missing.length > 0) return `set ${missing.join(", ")} (production has no defaults)`;
  return devValueProblem(raw, devValues) ?? weakValueProblem(raw);
}

function devValueProblem(raw: RawConfig, devValues: Record<string, string>) {
  for (const [key, devValue] of Object.entries(devValues)) {
    if (raw[key as keyof RawConfig] === devValue) return `${key} is the published dev default`;
  }
  if (raw.CORS_ORIGINS!.split(",").some((origin) => origin.trim() === "*")) {
    return "CORS_ORIGINS=* lets any site call the API with a user's token";
  }
  return undefined;
}

function weakValueProblem(raw: RawConfig) {
  for (const key of ["MERCADOPAGO_WEBHOOK_SECRET", "SCHEDULER_SECRET"] as const) {
    if (bytes(raw[key]!) < MIN_SECRET_BYTES) {
      return `${key} must be at least ${MIN_SECRET_BYTES} bytes`;
    }
  }
  try {
    readKeyEntries(raw.TICKET_SIGNING_KEYS!);
    readKeyEntries(raw.QUEUE_SIGNING_KEYS!, "QUEUE_SIGNING_KEYS");
  } catch (error) {
    return (error as Error).message;
  }
  if (new URL(raw.PUBLIC_APP_URL!).protocol !== "https:") {
    return "PUBLIC_APP_URL must be an https URL";
  }
  // Without SUPABASE_JWKS the signing keys are fetched from SUPABASE_URL: over
  // plain http, whoever sits on the path could hand us their own keys.
  if (!raw.SUPABASE_JWKS && new URL(raw.SUPABASE_URL!).protocol !== "https:") {
    return "SUPABASE_URL must be an https URL unless SUPABASE_JWKS is set";
  }
  return undefined;
}
