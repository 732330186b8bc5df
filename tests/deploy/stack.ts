/**
 * A production deployment for the deploy tests, everything real but the paid
 * services: a fresh database on DATABASE_URL's server (migrated as
 * `deno task migrate` does, or left empty), this run's Redis behind the
 * Upstash-REST proxy, the fake Mercado Pago and SendGrid, and the complete
 * APP_ENV=production environment the processes under test get. It needs a
 * real PostgreSQL and Redis (DATABASE_URL, REDIS_URL), as production does.
 */
import type { Sql } from "../../shared/db/mod.ts";
import { createSql } from "../../shared/db/connect.ts";
import { prepareDatabase } from "../../shared/db/migrate.ts";
import { generateKeyEntry } from "../../shared/tickets/keys.ts";
import { makeUser } from "../support/builders.ts";
import { type FakeMercadoPago, startFakeMercadoPago } from "../support/fake_mercadopago.ts";
import { type FakeSendgrid, startFakeSendgrid } from "../support/fake_sendgrid.ts";
import { TEST_DB_PREFIX } from "../support/harness.ts";
import { createScratchDatabase } from "../support/scratch_db.ts";
import { anonKey, hs256Token } from "../support/tokens.ts";
import { startUpstashProxy } from "../support/upstash_proxy.ts";
import type { Cast } from "../e2e/scenario.ts";

export const APP_ORIGIN = "http://localhost:5173";

export interface ProductionStack {
  databaseUrl: string;
  /** A pool on the stack's database, for setup and for checking invariants. */
  sql: Sql;
  /** What `deno task start`/`worker` get (without HOST/PORT). */
  env: Record<string, string>;
  jwtSecret: string;
  anonKey: string;
  mercadoPago: FakeMercadoPago;
  sendgrid: FakeSendgrid;
  /** Applies the migrations as `deno task migrate` does. */
  migrate(): Promise<void>;
  /** Users in auth.users with their roles, and their access tokens (after migrate). */
  cast(): Promise<Cast>;
  close(): Promise<void>;
}

function required(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`the deploy tests need a real ${name} (see README, "Tests")`);
  return value;
}

const secret = () => `${crypto.randomUUID()}${crypto.randomUUID()}`.replaceAll("-", "");

export async function productionStack(): Promise<ProductionStack> {
  const database = await createScratchDatabase(required("DATABASE_URL"), TEST_DB_PREFIX);
  const redis = await startUpstashProxy({ redisUrl: required("REDIS_URL"), token: secret() });
  const mercadoPago = startFakeMercadoPago();
  const sendgrid = startFakeSendgrid(`SG.${secret()}`);
  const sql = createSql(database.url, { max: 10 });
  const jwtSecret = secret();
  const env: Record<string, string> = {
    APP_ENV: "production",
    LOG_LEVEL: "info",
    DATABASE_URL: database.url,
    DB_POOL_MAX: "5",
    // The bursts assert exact outcomes (capacity × 201, the rest 409) on small pools, so on a
    // loaded machine a request waits for a connection as long as the request deadline allows
    // rather than the 3 s default (tests/foundation/pool_wait_test.ts tests that bound).
    DB_POOL_WAIT_MS: "10000",
    SUPABASE_URL: "https://crodify-deploy-test.example",
    JWT_SECRET: jwtSecret,
    UPSTASH_REDIS_REST_URL: redis.url,
    UPSTASH_REDIS_REST_TOKEN: redis.token,
    MERCADOPAGO_ACCESS_TOKEN: `TEST-${secret()}`,
    MERCADOPAGO_BASE_URL: mercadoPago.url,
    MERCADOPAGO_WEBHOOK_SECRET: secret(),
    SENDGRID_API_KEY: sendgrid.apiKey,
    SENDGRID_BASE_URL: sendgrid.url,
    EMAIL_FROM: "Crodify <tickets@crodify.example>",
    TICKET_SIGNING_KEYS: JSON.stringify([await generateKeyEntry("deploy-test")]),
    QUEUE_SIGNING_KEYS: JSON.stringify([await generateKeyEntry("deploy-queue")]),
    SCHEDULER_SECRET: secret(),
    CORS_ORIGINS: APP_ORIGIN,
    PUBLIC_APP_URL: "https://app.crodify.example",
  };
  return {
    databaseUrl: database.url,
    sql,
    env,
    jwtSecret,
    anonKey: await anonKey(jwtSecret),
    mercadoPago,
    sendgrid,
    migrate: async () => {
      await prepareDatabase(sql);
    },
    cast: async () => {
      const [admin, buyer, scanner] = [
        await makeUser(sql, ["admin"]),
        await makeUser(sql),
        await makeUser(sql, ["scanner"]),
      ];
      const token = (u: typeof admin) =>
        hs256Token({ sub: u.id, email: u.email, roles: u.roles }, jwtSecret);
      return {
        visitor: { label: "visitor" },
        admin: { label: "admin", token: await token(admin) },
        buyer: { label: "buyer", id: buyer.id, email: buyer.email, token: await token(buyer) },
        scanner: { label: "scanner", id: scanner.id, token: await token(scanner) },
      };
    },
    close: async () => {
      await sql.end({ timeout: 2 });
      await Promise.all([redis.close(), mercadoPago.close(), sendgrid.close()]);
      await database.drop();
    },
  };
}
