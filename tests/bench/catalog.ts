/**
 * Catalog: GET /events and GET /events/{id} served from the cache, against
 * GET /health — a trivial JSON route on the same server — measured before
 * and after them with the same load.
 */
import { type LoadResult, type Req, runLoad } from "./load.ts";

export interface CatalogRun {
  connections: number;
  seconds: number;
  baseline_before: LoadResult;
  list: LoadResult;
  detail: LoadResult;
  baseline_after: LoadResult;
  /** Mean of the two baseline runs. */
  baseline_rps: number;
  list_ratio: number;
  detail_ratio: number;
}

const get = (path: string): Req => ({ method: "GET", path: `/functions/v1${path}` });

export async function runCatalog(
  url: string,
  eventIds: string[],
  opts: { connections: number; seconds: number; warmSeconds: number },
): Promise<CatalogRun> {
  const health = [get("/health")];
  const list = [get("/events")];
  const details = eventIds.map((id) => get(`/events/${id}`));
  const load = (requests: Req[], seconds: number) =>
    runLoad({ url, connections: opts.connections, durationSeconds: seconds, requests });
  if (opts.warmSeconds > 0) {
    for (const requests of [health, list, details]) await load(requests, opts.warmSeconds);
  }
  const baselineBefore = await load(health, opts.seconds);
  const listRun = await load(list, opts.seconds);
  const detailRun = await load(details, opts.seconds);
  const baselineAfter = await load(health, opts.seconds);
  const baseline = (baselineBefore.rps + baselineAfter.rps) / 2;
  const ratio = (rps: number) => Math.round((rps / baseline) * 100) / 100;
  return {
    connections: opts.connections,
    seconds: opts.seconds,
    baseline_before: baselineBefore,
    list: listRun,
    detail: detailRun,
    baseline_after: baselineAfter,
    baseline_rps: Math.round(baseline),
    list_ratio: ratio(listRun.rps),
    detail_ratio: ratio(detailRun.rps),
  };
}
