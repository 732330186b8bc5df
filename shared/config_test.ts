import assert from "node:assert/strict";
import { ConfigError, DEV_JWT_SECRET, parseConfig } from "./config.ts";

const PRODUCTION = {
  APP_ENV: "production",
  DATABASE_URL: "postgres://app@db.example.com:6543/postgres",
  SUPABASE_URL: "https://abc.supabase.co",
  SUPABASE_JWT_SECRET: "x".repeat(40),
  UPSTASH_REDIS_REST_URL: "https://eu1.upstash.io",
  UPSTASH_REDIS_REST_TOKEN: "token",
  MERCADOPAGO_ACCESS_TOKEN: "APP_USR-1",
  MERCADOPAGO_WEBHOOK_SECRET: "whsec",
  SCHEDULER_SECRET: "sched",
  SENDGRID_API_KEY: "SG.key",
  EMAIL_FROM: "Crodify <tickets@crodify.com>",
  TICKET_SIGNING_KEYS: "[]",
  CORS_ORIGINS: "https://crodify.com",
  PUBLIC_APP_URL: "https://crodify.com",
};

Deno.test("dev defaults apply with an empty environment", () => {
  const config = parseConfig({});
  assert.equal(config.APP_ENV, "development");
  assert.equal(config.SUPABASE_JWT_SECRET, DEV_JWT_SECRET);
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.PORT, 54321);
  assert.deepEqual(config.corsOrigins, ["*"]);
});

Deno.test("production with every variable set parses", () => {
  const config = parseConfig(PRODUCTION);
  assert.equal(config.isProduction, true);
  assert.equal(config.functionsBaseUrl, "https://abc.supabase.co/functions/v1");
});

Deno.test("production refuses a missing secret and names it", () => {
  const { MERCADOPAGO_WEBHOOK_SECRET: _, ...env } = PRODUCTION;
  assert.throws(
    () => parseConfig(env),
    (e: Error) => e instanceof ConfigError && e.message.includes("MERCADOPAGO_WEBHOOK_SECRET"),
  );
});

Deno.test("production refuses dev default values and a wildcard CORS origin", () => {
  assert.throws(
    () => parseConfig({ ...PRODUCTION, SUPABASE_JWT_SECRET: DEV_JWT_SECRET }),
    /SUPABASE_JWT_SECRET/,
  );
  assert.throws(() => parseConfig({ ...PRODUCTION, CORS_ORIGINS: "*" }), /CORS_ORIGINS/);
});

Deno.test("an invalid value fails fast naming the variable", () => {
  assert.throws(() => parseConfig({ PORT: "eighty" }), /PORT/);
  assert.throws(() => parseConfig({ DATABASE_URL: "not a url" }), /DATABASE_URL/);
  assert.throws(() => parseConfig({ SUPABASE_JWT_SECRET: "short" }), /SUPABASE_JWT_SECRET/);
});

Deno.test("SUPABASE_DB_URL is used when DATABASE_URL is absent; EMAIL_API_KEY aliases SendGrid", () => {
  const config = parseConfig({ SUPABASE_DB_URL: "postgres://a@b:5432/c", EMAIL_API_KEY: "SG.x" });
  assert.equal(config.databaseUrl, "postgres://a@b:5432/c");
  assert.equal(config.SENDGRID_API_KEY, "SG.x");
});
