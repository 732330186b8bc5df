import assert from "node:assert/strict";
import {
  ConfigError,
  DEV_JWT_SECRET,
  DEV_SCHEDULER_SECRET,
  DEV_WEBHOOK_SECRET,
  parseConfig,
} from "./config.ts";
import { generateKeyEntry } from "./tickets/keys.ts";

const KEY = await generateKeyEntry("k1");

const PRODUCTION = {
  APP_ENV: "production",
  DATABASE_URL: "postgres://app@db.example.com:6543/postgres",
  SUPABASE_URL: "https://abc.supabase.co",
  UPSTASH_REDIS_REST_URL: "https://eu1.upstash.io",
  UPSTASH_REDIS_REST_TOKEN: "token",
  MERCADOPAGO_ACCESS_TOKEN: "APP_USR-1",
  MERCADOPAGO_WEBHOOK_SECRET: "w".repeat(64),
  SCHEDULER_SECRET: "s".repeat(32),
  SENDGRID_API_KEY: "SG.key",
  EMAIL_FROM: "Crodify <tickets@crodify.com>",
  TICKET_SIGNING_KEYS: JSON.stringify([KEY]),
  QUEUE_SIGNING_KEYS: JSON.stringify([KEY]),
  CORS_ORIGINS: "https://crodify.com",
  PUBLIC_APP_URL: "https://crodify.com",
};

const refuses = (env: Record<string, string | undefined>, variable: string) =>
  assert.throws(
    () => parseConfig(env),
    (e: Error) => e instanceof ConfigError && e.message.includes(variable),
    `${variable} should be refused`,
  );

Deno.test("dev defaults apply with an empty environment", () => {
  const config = parseConfig({});
  assert.equal(config.APP_ENV, "development");
  assert.equal(config.JWT_SECRET, DEV_JWT_SECRET);
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.PORT, 54321);
  assert.deepEqual(config.corsOrigins, ["*"]);
});

Deno.test("production with every variable set parses", () => {
  const config = parseConfig(PRODUCTION);
  assert.equal(config.isProduction, true);
  assert.equal(config.functionsBaseUrl, "https://abc.supabase.co/functions/v1");
});

Deno.test("production has no HS256 secret unless one is configured, and no dev value at all", () => {
  const config = parseConfig(PRODUCTION);
  assert.equal(config.JWT_SECRET, undefined);
  const devValues = [DEV_JWT_SECRET, DEV_WEBHOOK_SECRET, DEV_SCHEDULER_SECRET];
  for (const [key, value] of Object.entries(config)) {
    assert.ok(!devValues.includes(value as string), `${key} is a dev value`);
  }
  // Whatever else is set: with a JWKS, or with SUPABASE_URL alone.
  assert.equal(parseConfig({ ...PRODUCTION, SUPABASE_JWKS: '{"keys":[]}' }).JWT_SECRET, undefined);
});

Deno.test("the legacy secret is read from JWT_SECRET, with SUPABASE_JWT_SECRET as an alias", () => {
  const secret = "j".repeat(40);
  assert.equal(parseConfig({ ...PRODUCTION, JWT_SECRET: secret }).JWT_SECRET, secret);
  assert.equal(parseConfig({ ...PRODUCTION, SUPABASE_JWT_SECRET: secret }).JWT_SECRET, secret);
  assert.equal(
    parseConfig({ JWT_SECRET: secret, SUPABASE_JWT_SECRET: "a".repeat(40) }).JWT_SECRET,
    secret,
  );
});

Deno.test("production refuses a missing secret and names it", () => {
  for (const key of Object.keys(PRODUCTION).filter((k) => k !== "APP_ENV")) {
    refuses({ ...PRODUCTION, [key]: undefined }, key);
  }
});

Deno.test("production refuses dev default values and a wildcard CORS origin", () => {
  refuses({ ...PRODUCTION, JWT_SECRET: DEV_JWT_SECRET }, "JWT_SECRET");
  refuses({ ...PRODUCTION, SUPABASE_JWT_SECRET: DEV_JWT_SECRET }, "SUPABASE_JWT_SECRET");
  refuses({ ...PRODUCTION, CORS_ORIGINS: "*" }, "CORS_ORIGINS");
});

Deno.test("production refuses weak values at boot, naming the variable", () => {
  refuses(
    { ...PRODUCTION, MERCADOPAGO_WEBHOOK_SECRET: "x".repeat(31) },
    "MERCADOPAGO_WEBHOOK_SECRET",
  );
  refuses({ ...PRODUCTION, SCHEDULER_SECRET: "sched" }, "SCHEDULER_SECRET");
  const { private: _, ...publicOnly } = KEY;
  const badKeyrings = [
    "[]",
    "not json",
    JSON.stringify([publicOnly]),
    JSON.stringify([KEY, { ...KEY, kid: "k2" }]),
    JSON.stringify([{ ...KEY, public: "short" }]),
    JSON.stringify([{ ...KEY, private: "bm90IGEga2V5" }]),
  ];
  for (const keyring of badKeyrings) {
    refuses({ ...PRODUCTION, TICKET_SIGNING_KEYS: keyring }, "TICKET_SIGNING_KEYS");
  }
  refuses({ ...PRODUCTION, PUBLIC_APP_URL: "http://crodify.com" }, "PUBLIC_APP_URL");
  refuses({ ...PRODUCTION, SUPABASE_URL: "http://abc.supabase.co" }, "SUPABASE_URL");
  // With the JWKS inline nothing is fetched from SUPABASE_URL.
  parseConfig({ ...PRODUCTION, SUPABASE_URL: "http://kong:8000", SUPABASE_JWKS: '{"keys":[]}' });
});

Deno.test("on hosted Supabase (SB_REGION) APP_ENV defaults to production, and nothing else is accepted", () => {
  const { APP_ENV: _, ...unset } = PRODUCTION;
  assert.equal(parseConfig({ ...unset, SB_REGION: "sa-east-1" }).isProduction, true);
  refuses({ SB_REGION: "sa-east-1" }, "DATABASE_URL");
  refuses({ ...PRODUCTION, APP_ENV: "development", SB_REGION: "sa-east-1" }, "APP_ENV");
});

Deno.test("the project's API keys: dictionaries, singular fallbacks, legacy keys", () => {
  const config = parseConfig({
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: "sb_publishable_aaaaaaaaaaaa" }),
    SUPABASE_SECRET_KEY: "sb_secret_bbbbbbbbbbbbbbbb",
    SUPABASE_ANON_KEY: "eyJ.anon.key-of-the-project",
  });
  assert.deepEqual(config.apiKeys, {
    publishable: ["sb_publishable_aaaaaaaaaaaa", "eyJ.anon.key-of-the-project"],
    secret: ["sb_secret_bbbbbbbbbbbbbbbb"],
  });
  refuses({ SUPABASE_SECRET_KEYS: "sb_secret_not_json" }, "SUPABASE_SECRET_KEYS");
  refuses({ SUPABASE_PUBLISHABLE_KEYS: "{}" }, "SUPABASE_PUBLISHABLE_KEYS");
});

Deno.test("an invalid value fails fast naming the variable", () => {
  assert.throws(() => parseConfig({ PORT: "eighty" }), /PORT/);
  assert.throws(() => parseConfig({ DATABASE_URL: "not a url" }), /DATABASE_URL/);
  assert.throws(() => parseConfig({ JWT_SECRET: "short" }), /JWT_SECRET/);
  assert.throws(() => parseConfig({ SUPABASE_JWT_SECRET: "short" }), /SUPABASE_JWT_SECRET/);
});

Deno.test("SUPABASE_DB_URL is used when DATABASE_URL is absent; EMAIL_API_KEY aliases SendGrid", () => {
  const config = parseConfig({ SUPABASE_DB_URL: "postgres://a@b:5432/c", EMAIL_API_KEY: "SG.x" });
  assert.equal(config.databaseUrl, "postgres://a@b:5432/c");
  assert.equal(config.SENDGRID_API_KEY, "SG.x");
});
