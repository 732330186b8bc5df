/**
 * The world a fault scenario runs in, all real and all its own: a PostgreSQL
 * cluster (tests/support/pg_cluster.ts), Redis behind the Upstash proxy, the
 * fake Mercado Pago and fake SendGrid, each of the three HTTP services behind
 * a TCP fault proxy, and the gateway (`functions/serve.ts`, what `deno task
 * dev` runs) as a subprocess pointed at them. Plus the rows the load needs:
 * an event on sale, buyers, a scanner and paid tickets with their codes.
 */
import postgres from "postgres";
import type { Sql } from "../../shared/db/mod.ts";
import { prepareDatabase } from "../../shared/db/migrate.ts";
import { signHs256Token } from "../../functions/_dev/demo.ts";
import { DEV_JWT_SECRET, DEV_WEBHOOK_SECRET } from "../../shared/config.ts";
import { generateKeyEntry, parseKeyring } from "../../shared/tickets/keys.ts";
import { signTicketCode } from "../../shared/tickets/codes.ts";
import { type PgCluster, startPgCluster } from "../support/pg_cluster.ts";
import { startUpstashProxy } from "../support/upstash_proxy.ts";
import { type FakeMercadoPago, startFakeMercadoPago } from "../support/fake_mercadopago.ts";
import { type FakeSendgrid, startFakeSendgrid } from "../support/fake_sendgrid.ts";
import { type FaultProxy, startFaultProxy } from "../support/fault_proxy.ts";
import { type LineLog, spawnLogged } from "../support/lines.ts";
import { assignStaff, makeEvent, makeTicketType, makeUsers } from "../support/builders.ts";
import { makeTickets } from "../support/ticket_builders.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const LISTENING = /listening on (http:\/\/[\d.:]+)/;

/** The gateway's request deadline in these tests: the production default. */
export const DEADLINE_MS = 10_000;
/** Slack over the deadline for scheduling on a loaded 2-core machine. */
export const DEADLINE_SLACK_MS = 1_500;

export interface Gateway {
  /** e.g. http://127.0.0.1:41234/functions/v1 */
  base: string;
  alive(): boolean;
  stderr: LineLog;
  stdout: LineLog;
}

export interface Fixture {
  eventId: string;
  ticketTypeId: string;
  capacity: number;
  buyers: { id: string; token: string }[];
  /** A token of a new buyer, untouched by the load's rate and hold limits (recovery probes). */
  freshBuyerToken: () => Promise<string>;
  scannerToken: string;
  adminToken: string;
  /** Codes of paid tickets of the event, for door scans. */
  codes: string[];
}

export interface FaultEnv {
  cluster: PgCluster;
  /** The test's own handle on the cluster (setup and the final invariants). */
  sql: Sql;
  gateway: Gateway;
  upstash: FaultProxy;
  mercadopago: FaultProxy;
  sendgrid: FaultProxy;
  fakeMp: FakeMercadoPago;
  fakeSendgrid: FakeSendgrid;
  fixture: Fixture;
  webhookSecret: string;
  close(): Promise<void>;
}

export async function startFaultEnv(): Promise<FaultEnv> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => {});
  };
  try {
    const cluster = await startPgCluster();
    cleanups.push(() => cluster.destroy());
    const sql = postgres(cluster.url, { max: 4, onnotice: () => {} }) as unknown as Sql;
    cleanups.push(() => sql.end({ timeout: 1 }));
    await prepareDatabase(sql);

    const redis = await startUpstashProxy({
      redisUrl: Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379",
      token: crypto.randomUUID(),
    });
    cleanups.push(() => redis.close());
    const fakeMp = startFakeMercadoPago();
    cleanups.push(() => fakeMp.close());
    const fakeSendgrid = startFakeSendgrid();
    cleanups.push(() => fakeSendgrid.close());
    const upstash = startFaultProxy(redis.url);
    const mercadopago = startFaultProxy(fakeMp.url);
    const sendgrid = startFaultProxy(fakeSendgrid.url);
    cleanups.push(() => upstash.close(), () => mercadopago.close(), () => sendgrid.close());

    const keyEntry = await generateKeyEntry("faults-1");
    const keyring = await parseKeyring(JSON.stringify([keyEntry]));
    const gateway = await spawnGateway(cleanups, {
      DATABASE_URL: cluster.url,
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: redis.token,
      MERCADOPAGO_ACCESS_TOKEN: "TEST-crodify-faults",
      MERCADOPAGO_BASE_URL: mercadopago.url,
      SENDGRID_API_KEY: fakeSendgrid.apiKey,
      SENDGRID_BASE_URL: sendgrid.url,
      TICKET_SIGNING_KEYS: JSON.stringify([keyEntry]),
      REQUEST_DEADLINE_MS: String(DEADLINE_MS),
      // Smaller than the scenarios' concurrency, so a stuck pool shows up as waits.
      DB_POOL_MAX: "6",
    });
    const fixture = await seed(
      sql,
      async (ticketId, eventId) => await signTicketCode(keyring, { ticketId, eventId }),
    );
    return {
      cluster,
      sql,
      gateway,
      upstash,
      mercadopago,
      sendgrid,
      fakeMp,
      fakeSendgrid,
      fixture,
      webhookSecret: DEV_WEBHOOK_SECRET,
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function spawnGateway(
  cleanups: Array<() => Promise<unknown>>,
  env: Record<string, string>,
): Promise<Gateway> {
  const scratch = await Deno.makeTempDir({ prefix: "crodify-faults-" });
  cleanups.push(() => Deno.remove(scratch, { recursive: true }));
  const { child, stdout, stderr } = spawnLogged(Deno.execPath(), {
    args: ["run", "--allow-all", "functions/serve.ts"],
    cwd: ROOT,
    clearEnv: true,
    env: {
      ...Object.fromEntries(
        ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"].flatMap((k) => {
          const v = Deno.env.get(k);
          return v === undefined ? [] : [[k, v]];
        }),
      ),
      NO_COLOR: "1",
      APP_ENV: "development",
      LOG_LEVEL: "warn",
      PORT: "0",
      TICKET_KEY_FILE: `${scratch}/key.json`,
      ...env,
    },
  });
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  cleanups.push(async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await status;
    await Promise.all([stdout.ended, stderr.ended]);
  });
  const line = await stdout.waitFor((l) => LISTENING.test(l), 60_000, "the listening line")
    .catch((error) => {
      throw new Error(`${error.message}\n${stderr.lines.slice(-20).join("\n")}`);
    });
  const base = line.match(LISTENING)![1];
  return {
    base: base.endsWith("/functions/v1") ? base : `${base}/functions/v1`,
    alive: () => !exited,
    stdout,
    stderr,
  };
}

const CAPACITY = 400;

async function seed(
  sql: Sql,
  sign: (ticketId: string, eventId: string) => Promise<string>,
): Promise<Fixture> {
  const token = (sub: string, roles: string[]) =>
    signHs256Token(DEV_JWT_SECRET, { sub, roles: roles as never, email: `${sub}@faults.local` });
  // Doors open now (starts in an hour), so scans are admitted.
  const event = await makeEvent(sql, { startsInHours: 1, durationHours: 6, maxTicketsPerUser: 50 });
  const type = await makeTicketType(sql, event.id, { capacity: CAPACITY, price: 5_000 });
  const buyers = await makeUsers(sql, 40);
  const [scanner] = await makeUsers(sql, 1);
  const [admin] = await makeUsers(sql, 1, ["admin"]);
  await assignStaff(sql, event.id, scanner.id, "scanner");
  // Door tickets of their own type, so the sale's capacity is the load's alone.
  const doorType = await makeTicketType(sql, event.id, { capacity: 200, price: 1_000 });
  const tickets = [];
  for (let i = 0; i < 15; i++) {
    tickets.push(...await makeTickets(sql, { event, ticketType: doorType, count: 10 }));
  }
  return {
    eventId: event.id,
    ticketTypeId: type.id,
    capacity: CAPACITY,
    buyers: await Promise.all(
      buyers.map(async (b) => ({ id: b.id, token: await token(b.id, ["user"]) })),
    ),
    freshBuyerToken: async () => token((await makeUsers(sql, 1))[0].id, ["user"]),
    scannerToken: await token(scanner.id, ["user"]),
    adminToken: await token(admin.id, ["user", "admin"]),
    codes: await Promise.all(tickets.map((t) => sign(t.id, event.id))),
  };
}
