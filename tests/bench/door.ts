/**
 * Door check-in: POST /tickets/validate with a distinct ticket per request
 * (JWT, Ed25519 signature check, per-device rate limit, staff check, the SQL),
 * against pgbench running the same `select public.checkin_ticket(…)` at the
 * same concurrency on tickets of its own.
 */
import type { DoorData } from "./data.ts";
import { type LoadResult, runLoad, runPaced } from "./load.ts";
import { type PgbenchResult, runPgbench } from "./pgbench.ts";

export interface DoorRun {
  concurrency: number;
  scans: number;
  api: LoadResult;
  pgbench: PgbenchResult;
  /** API validations/s ÷ pgbench check-ins/s. */
  ratio: number;
}

const checkinSql = (pool: string) => `
  select public.checkin_ticket(q.ticket_id, :event, q.scanner_id, 'entry', 'A', q.device_id,
                               q.nonce, now())
    from bench.door q
   where q.pool = '${pool}' and q.n = (select nextval('bench.door_${pool}_seq'))`;

/** The result of a scan ("ok", "already_redeemed", …), or the HTTP status. */
export function scanOutcome(status: number, body: string): string {
  if (status !== 200) return String(status);
  return /"result":"(\w+)"/.exec(body)?.[1] ?? "unreadable";
}

function nextScan(data: DoorData, pool: string) {
  const scans = data.scans[pool];
  let next = 0;
  return () => {
    const scan = scans[next++ % scans.length];
    return {
      method: "POST" as const,
      path: "/functions/v1/tickets/validate",
      headers: { authorization: `Bearer ${scan.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        code: scan.code,
        event_id: data.eventId,
        gate: "A",
        direction: "entry",
        device_id: scan.device,
        nonce: scan.nonce,
      }),
    };
  };
}

function validations(
  url: string,
  data: DoorData,
  pool: string,
  connections: number,
  amount: number,
) {
  return runLoad({
    url,
    connections,
    label: "POST /tickets/validate",
    amount,
    classify: scanOutcome,
    next: nextScan(data, pool),
  });
}

export interface PacedDoor {
  scanners: number;
  scans_per_second_each: number;
  seconds: number;
  /** Run before `seconds` and not counted, on both sides (connections opening, first plans). */
  warmup_seconds: number;
  api: LoadResult;
  /** pgbench at the same rate and concurrency: the database's own latency at that pace. */
  pgbench: PgbenchResult;
}

/**
 * Door latency at a door's pace: `scanners` scanners, each validating
 * `perSecond` codes a second (phase-shifted), on the `httppaced` pool. A closed
 * loop at saturation only measures its own queue (p50 ≈ scanners ÷ throughput).
 */
export async function runDoorPaced(
  url: string,
  databaseUrl: string,
  data: DoorData,
  opts: { scanners: number; perSecond: number; seconds: number; warmupSeconds: number },
  settle: () => Promise<void>,
): Promise<PacedDoor> {
  await settle();
  const pgbench = await runPgbench({
    databaseUrl,
    statement: checkinSql("pgpaced"),
    variables: { event: data.eventId },
    clients: opts.scanners,
    rate: opts.scanners * opts.perSecond,
    seconds: opts.seconds,
    warmupSeconds: opts.warmupSeconds,
  });
  await settle();
  const api = await runPaced({
    url,
    clients: opts.scanners,
    perSecond: opts.perSecond,
    seconds: opts.seconds,
    warmupSeconds: opts.warmupSeconds,
    label: "POST /tickets/validate",
    classify: scanOutcome,
    next: nextScan(data, "httppaced"),
  });
  return {
    scanners: opts.scanners,
    scans_per_second_each: opts.perSecond,
    seconds: opts.seconds,
    warmup_seconds: opts.warmupSeconds,
    api,
    pgbench,
  };
}

/** Warms the path on its own pool of tickets. */
export async function warmDoor(url: string, data: DoorData, amount: number): Promise<LoadResult> {
  return await validations(url, data, "httpwarm", 8, amount);
}

/**
 * pgbench then the API at `concurrency`, each on `perClient × concurrency`
 * fresh tickets, each after `settle` (so neither pays for the other's writes).
 */
export async function runDoor(
  url: string,
  databaseUrl: string,
  data: DoorData,
  concurrency: number,
  perClient: number,
  settle: () => Promise<void>,
): Promise<DoorRun> {
  await settle();
  const pgbench = await runPgbench({
    databaseUrl,
    statement: checkinSql(`pg${concurrency}`),
    variables: { event: data.eventId },
    clients: concurrency,
    transactionsPerClient: perClient,
  });
  const scans = concurrency * perClient;
  await settle();
  const api = await validations(url, data, `http${concurrency}`, concurrency, scans);
  return {
    concurrency,
    scans,
    api,
    pgbench,
    ratio: Math.round((api.rps / pgbench.tps) * 100) / 100,
  };
}
