/**
 * One fault scenario: load on, fault in, fault out, then the checks every
 * scenario shares — the process is alive, every answer is 2xx/4xx/503 (or a
 * documented provider 502), none waited past the deadline, the API serves a
 * read and a sale again within RECOVERY_MS without a restart, and the money
 * and door invariants hold on the final state.
 */
import assert from "node:assert/strict";
import type { Sql } from "../../shared/db/mod.ts";
import { DEADLINE_MS, DEADLINE_SLACK_MS, type FaultEnv } from "./fault_env.ts";
import { call, startLoad, summarize } from "./load.ts";

/** From the fault clearing to a successful read and sale. */
export const RECOVERY_MS = 10_000;

export interface ScenarioSpec {
  name: string;
  inject(): Promise<void>;
  clear(): Promise<void>;
  /** How long the fault lasts under load. */
  faultMs?: number;
  /** Checks made while the fault is on (after `inject`, within `faultMs`). */
  duringFault?: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runScenario(env: FaultEnv, spec: ScenarioSpec): Promise<void> {
  const load = startLoad(env);
  await sleep(1_000);
  await spec.inject();
  // A failed check during the fault is reported after the counts, not instead of them.
  const [, duringFault] = await Promise.all([
    sleep(spec.faultMs ?? 4_000),
    spec.duringFault?.().then(() => undefined, (error: Error) => error),
  ]);
  await spec.clear();
  const cleared = performance.now();
  const recoveredMs = await recovery(env, cleared);
  const outcomes = await load.stop();
  const summary = summarize(outcomes, DEADLINE_MS + DEADLINE_SLACK_MS);
  const violations = await invariantViolations(env.sql);
  // The counts the closing note and the README quote, printed before any assertion.
  console.log(
    JSON.stringify({
      scenario: spec.name,
      alive: env.gateway.alive(),
      ...summary,
      recovered_ms: recoveredMs,
      violations,
      during_fault: duringFault?.message.split("\n")[0],
    }),
  );
  if (duringFault) throw duringFault;
  assert.ok(
    env.gateway.alive(),
    `the gateway died:\n${env.gateway.stderr.lines.slice(-20).join("\n")}`,
  );
  assert.equal(summary.internal, 0, `5xx answers: ${JSON.stringify(summary.byStatus)}`);
  assert.equal(summary.overDeadline, 0, `answers past the deadline; slowest ${summary.maxMs} ms`);
  assert.ok(recoveredMs !== undefined, `not serving again within ${RECOVERY_MS} ms`);
  assert.deepEqual(violations, {});
}

/** Milliseconds until a catalog read succeeds and a purchase is decided again, or undefined. */
async function recovery(env: FaultEnv, since: number): Promise<number | undefined> {
  const { fixture } = env;
  // The load's buyers may be rate limited or at their hold limit by now: probe as a new one.
  const buyerToken = await fixture.freshBuyerToken();
  let read = false;
  let sale = false;
  while (performance.now() - since < RECOVERY_MS) {
    read ||= (await call(env, "probe", "GET", `/events/${fixture.eventId}`)).status === 200;
    sale ||= decided(
      await call(env, "probe", "POST", "/purchases", {
        token: buyerToken,
        headers: { "idempotency-key": crypto.randomUUID() },
        body: {
          event_id: fixture.eventId,
          items: [{ ticket_type_id: fixture.ticketTypeId, quantity: 1 }],
        },
      }),
    );
    if (read && sale) return Math.round(performance.now() - since);
    await sleep(200);
  }
  return undefined;
}

/**
 * A purchase the database decided: a hold, or a refusal only Postgres can give (earlier
 * scenarios' load may have sold the type out), so a 201 alone cannot be the sign of recovery.
 */
function decided({ status, code }: { status: number; code?: string }): boolean {
  return status === 201 || (status === 409 && code === "sold_out") ||
    (status === 429 && code === "hold_limit_exceeded");
}

/** Rows that break an invariant, by invariant (empty when all hold). */
export async function invariantViolations(sql: Sql): Promise<Record<string, number>> {
  const [row] = await sql<Record<string, number>[]>`
    select
      (select count(*)::int from public.ticket_types
        where sold + public.ticket_type_held(id) > capacity) as holds_over_capacity,
      (select count(*)::int from public.ticket_types tt
        where tt.sold <> (select count(*) from public.tickets t
                           where t.ticket_type_id = tt.id and t.status = 'valid')) as sold_not_valid,
      (select count(*)::int from (select ticket_id from public.checkins
                                   where result = 'ok' and direction = 'entry'
                                   group by ticket_id having count(*) > 1) twice) as entered_twice,
      (select count(*)::int from public.orders o
        where o.status = 'paid'
          and not exists (select 1 from public.tickets t where t.order_id = o.id)
          and not exists (select 1 from public.refunds r where r.order_id = o.id)) as paid_no_tickets`;
  return Object.fromEntries(Object.entries(row).filter(([, n]) => n > 0));
}
