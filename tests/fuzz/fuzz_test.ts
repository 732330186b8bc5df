/**
 * The property-based fuzzer: every operation of the merged OpenAPI document
 * (so a new route is covered without touching this file), driven in-process
 * through the gateway with requests generated from the operation's own
 * schemas and from hostile values, by every kind of caller. See oracle.ts for
 * what must hold. A failure prints fast-check's seed, path and the shrunk
 * counter-example; replay it with FUZZ_SEED=<seed>.
 *
 *   CI:    a fixed seed and FUZZ_RUNS (default below) cases per operation;
 *   long:  `deno task fuzz` (or FUZZ_LONG=1): a random seed, many more cases.
 *   replay: FUZZ_SEED=<seed> FUZZ_ONLY="<METHOD> <path>" with the run's FUZZ_RUNS.
 */
import fc from "fast-check";
import { config } from "../../shared/config.ts";
import { createGateway } from "../../functions/gateway.ts";
import { FUNCTIONS } from "../../functions/registry.ts";
import { SignJWT } from "jose";
import { dbTest, setupHarness } from "../support/harness.ts";
import { assignStaff, makeUser } from "../support/builders.ts";
import { makeTicket } from "../support/ticket_builders.ts";
import { es256Token, hs256Token } from "../support/tokens.ts";
import { constraintNames, countWrites, type Leaks, problemsWith } from "./oracle.ts";
import { type FuzzRequest, operationsOf, requestFor } from "./requests.ts";
import type { ValueContext } from "./schema_values.ts";

const LONG = Deno.args.includes("--long") || Deno.env.get("FUZZ_LONG") === "1";
const RUNS = Number(Deno.env.get("FUZZ_RUNS") ?? (LONG ? 600 : 40));
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? (LONG ? Date.now() % 2 ** 31 : 20261130));

dbTest("fuzz: every operation answers hostile requests without 5xx, leaks or writes", async (t) => {
  const { sql } = await setupHarness();
  const gateway = createGateway(FUNCTIONS);
  const document = await (await gateway.request("/openapi.json")).json();
  const operations = operationsOf(document);
  const world = await buildWorld();
  const ctx: ValueContext = { schemas: document.components?.schemas ?? {}, ids: world.ids };
  const leaks: Leaks = { constraintNames: await constraintNames(sql), secrets: secrets() };
  // Real roles three times as often as forged tokens: they get past auth into the services.
  const real = ["anonymous", "user", "admin", "scanner", "coordinator"];
  const forged = Object.keys(world.tokens).filter((name) => !real.includes(name));
  const callerNames = [...real, ...real, ...real, ...forged];
  const writes = await countWrites(sql);
  const statuses = new Map<number, number>();
  console.log(`fuzz: ${operations.length} operations × ${RUNS} runs, seed ${SEED}`);

  async function send(request: FuzzRequest) {
    const headers = new Headers(request.headers);
    const token = world.tokens[request.caller];
    if (token) headers.set("authorization", `Bearer ${token}`);
    const before = await writes();
    const response = await gateway.request(request.url, {
      method: request.method,
      headers,
      body: request.body as BodyInit | undefined,
    });
    const body = await response.text();
    const after = await writes();
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    const requestText = request.url + JSON.stringify(request.headers) +
      new TextDecoder().decode(request.body ?? new Uint8Array());
    const problems = problemsWith(
      response.status,
      response.headers.get("content-type") ?? "",
      body,
      `${requestText} ${decoded(requestText)}`,
      leaks,
    );
    if (response.status >= 400 && before !== after) {
      problems.push(`a refused request wrote ${after - before} rows`);
    }
    if (problems.length > 0) {
      throw new Error(`${problems.join("; ")}\n→ ${response.status} ${body.slice(0, 500)}`);
    }
  }

  const only = Deno.env.get("FUZZ_ONLY");
  for (const operation of operations) {
    if (only && !`${operation.method} ${operation.path}`.includes(only)) continue;
    await t.step(`${operation.method} ${operation.path}`, async () => {
      await world.repair();
      await fc.assert(
        fc.asyncProperty(requestFor(operation, ctx, callerNames), send),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }
  const cases = [...statuses.values()].reduce((a, b) => a + b, 0);
  const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
  console.log(`fuzz: ${cases} requests (seed ${SEED}): ${byStatus.join(" ")}`);
});

/** The request as the server may have read it (percent-decoded), to tell echoes from leaks. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/%(?![0-9a-f]{2})/gi, "%25"));
  } catch {
    return text;
  }
}

/** Secrets no response may carry. */
function secrets(): string[] {
  const c = config();
  return [
    c.JWT_SECRET,
    c.MERCADOPAGO_WEBHOOK_SECRET,
    c.SCHEDULER_SECRET,
    c.UPSTASH_REDIS_REST_TOKEN,
    c.MERCADOPAGO_ACCESS_TOKEN,
    ...c.apiKeys.secret,
  ].filter((s): s is string => typeof s === "string" && s.length >= 8);
}

/**
 * Real rows for requests to reach: an open event with a type, a paid ticket
 * of `user`, door staff; and a token per kind of caller, forged ones included.
 */
async function buildWorld() {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const admin = await makeUser(sql, ["admin"]);
  const scanner = await makeUser(sql, ["scanner"]);
  const coordinator = await makeUser(sql, ["coordinator"]);
  const repair = async () => {
    await assignStaff(sql, ticket.eventId, scanner.id, "scanner");
    await assignStaff(sql, ticket.eventId, coordinator.id, "coordinator");
  };
  await repair();
  const token = (user: { id: string; roles: string[] }) =>
    hs256Token({ sub: user.id, roles: user.roles as never });
  const wrongSecret = new TextEncoder().encode("not-the-project-secret-0123456789abcdef");
  const tokens: Record<string, string | undefined> = {
    anonymous: undefined,
    user: await token(ticket.owner),
    admin: await token(admin),
    scanner: await token(scanner),
    coordinator: await token(coordinator),
    admin_es256: await es256Token({ sub: admin.id, roles: ["user", "admin"] }),
    deleted_user: await token({ id: crypto.randomUUID(), roles: ["user", "admin"] }),
    forged_secret: await new SignJWT({ user_roles: ["admin"], role: "authenticated" })
      .setProtectedHeader({ alg: "HS256" }).setSubject(admin.id).setAudience("authenticated")
      .setExpirationTime("1h").sign(wrongSecret),
    alg_none: `${b64({ alg: "none", typ: "JWT" })}.${
      b64({ sub: admin.id, user_roles: ["admin"], aud: "authenticated", exp: 4e9 })
    }.`,
    expired: await hs256Token({ sub: admin.id, roles: ["user", "admin"], expiresIn: -60 }),
    garbage: "x.y.z",
  };
  const ids = [
    ticket.id,
    ticket.eventId,
    ticket.orderId,
    ticket.ticketTypeId,
    ticket.owner.id,
    admin.id,
    scanner.id,
  ];
  return { tokens, ids, repair };
}

const b64 = (value: unknown) =>
  btoa(JSON.stringify(value)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");
