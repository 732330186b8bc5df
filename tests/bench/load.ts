/**
 * HTTP load with autocannon (npm, pinned in import_map.json), run from the
 * driver process while the server runs in its own. Latencies are taken from
 * autocannon's per-response timings (sub-millisecond, unlike its integer
 * histogram), statuses and outcomes from its onResponse hook.
 */
import autocannonModule from "autocannon";

export interface Req {
  method: "GET" | "POST" | "OPTIONS";
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  url: string;
  connections: number;
  /** Stop after this many responses (takes precedence over duration). */
  amount?: number;
  durationSeconds?: number;
  /** Fixed requests, cycled; or `next` to build each request (a distinct body per request). */
  requests?: Req[];
  next?: () => Req;
  /** Names a response's outcome (e.g. the scan result); default: the status code. */
  classify?: (status: number, body: string) => string;
  /** Names the run in the --profile output. */
  label?: string;
  /** CPU ms used so far per component (server, proxy, …), read before and after the run. */
  cpu?: () => Promise<Record<string, number>>;
}

export interface Latency {
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  responses: number;
  seconds: number;
  rps: number;
  latency_ms: Latency;
  statuses: Record<string, number>;
  outcomes: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Milliseconds since the start at which each response of `markOutcome` arrived. */
  marks: number[];
  /** CPU ms per response, by component: where the machine's two cores went. */
  cpu_ms_per_request?: Record<string, number>;
}

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest) => AutocannonRequest;
  onResponse?: (status: number, body: string) => void;
}

interface AutocannonResult {
  errors: number;
  timeouts: number;
}

interface Instance extends Promise<AutocannonResult> {
  on(
    event: "response",
    fn: (client: unknown, status: number, bytes: number, ms: number) => void,
  ): void;
}

type Autocannon = (opts: Record<string, unknown>) => Instance;
const autocannon = autocannonModule as unknown as Autocannon;

let cpuProbe: LoadOptions["cpu"];
let hooks: { before(): Promise<void>; after(label: string): Promise<void> } | undefined;

/** Runs `before` and `after` around every later load (the --profile sampler). */
export function aroundEachLoad(next: typeof hooks): void {
  hooks = next;
}

/** Every later run reads CPU use with `probe` before and after (undefined: stop). */
export function profileCpuWith(probe: LoadOptions["cpu"]): void {
  cpuProbe = probe;
}

const round = (n: number) => Math.round(n * 100) / 100;

export function summarize(samples: number[]): Latency {
  if (samples.length === 0) return { mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return {
    mean: round(mean),
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted[sorted.length - 1]),
  };
}

/** Runs one load and returns throughput, latency percentiles and outcome counts. */
export async function runLoad(opts: LoadOptions, markOutcome?: string): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const marks: number[] = [];
  let last = 0;
  const onResponse = (status: number, body: string) => {
    const outcome = opts.classify ? opts.classify(status, body) : String(status);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (outcome === markOutcome) marks.push(performance.now() - started);
  };
  const toAutocannon = (req: Req): AutocannonRequest => ({
    method: req.method,
    path: req.path,
    headers: req.headers,
    body: req.body,
  });
  const requests: AutocannonRequest[] = opts.next
    ? [{ setupRequest: (req) => ({ ...req, ...toAutocannon(opts.next!()) }), onResponse }]
    : (opts.requests ?? []).map((r) => ({ ...toAutocannon(r), onResponse }));
  await hooks?.before();
  const probe = opts.cpu ?? cpuProbe;
  const cpuBefore = await probe?.();
  const started = performance.now();
  const instance = autocannon({
    url: opts.url,
    connections: opts.connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.durationSeconds }),
    requests,
    timeout: 30,
  });
  instance.on("response", (_client, status, _bytes, ms) => {
    latencies.push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
    last = performance.now();
  });
  const result = await instance;
  const seconds = ((last || performance.now()) - started) / 1000;
  const cpuAfter = await probe?.();
  await hooks?.after(`${opts.label ?? requests[0]?.path} × ${opts.connections}`);
  const cpu = cpuBefore && cpuAfter
    ? Object.fromEntries(
      Object.keys(cpuAfter).map((k) => [
        k,
        round((cpuAfter[k] - (cpuBefore[k] ?? 0)) / Math.max(1, latencies.length)),
      ]),
    )
    : undefined;
  return {
    responses: latencies.length,
    seconds: round(seconds),
    rps: round(latencies.length / seconds),
    latency_ms: summarize(latencies),
    statuses,
    outcomes,
    errors: result.errors,
    timeouts: result.timeouts,
    marks,
    cpu_ms_per_request: cpu,
  };
}
