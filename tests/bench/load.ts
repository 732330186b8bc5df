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
  /** Latency percentiles per HTTP status (e.g. a sale's winners, 201, against refusals, 409). */
  latency_by_status_ms: Record<string, Latency>;
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

interface Raw {
  latencies: number[];
  byStatus: Record<string, number[]>;
  statuses: Record<string, number>;
  outcomes: Record<string, number>;
  marks: number[];
  errors: number;
  timeouts: number;
  last: number;
  /** Responses that arrive before this (ms since the start) are warm-up: not in the latencies. */
  warmupMs: number;
}

const toAutocannon = (req: Req): AutocannonRequest => ({
  method: req.method,
  path: req.path,
  headers: req.headers,
  body: req.body,
});

/** One autocannon run; `started` is the clock the marks are taken against. */
async function fire(
  opts: LoadOptions & { connectionRate?: number },
  started: number,
  markOutcome: string | undefined,
  raw: Raw,
): Promise<void> {
  const onResponse = (status: number, body: string) => {
    const outcome = opts.classify ? opts.classify(status, body) : String(status);
    raw.outcomes[outcome] = (raw.outcomes[outcome] ?? 0) + 1;
    if (outcome === markOutcome) raw.marks.push(performance.now() - started);
  };
  const requests: AutocannonRequest[] = opts.next
    ? [{ setupRequest: (req) => ({ ...req, ...toAutocannon(opts.next!()) }), onResponse }]
    : (opts.requests ?? []).map((r) => ({ ...toAutocannon(r), onResponse }));
  const instance = autocannon({
    url: opts.url,
    connections: opts.connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.durationSeconds }),
    ...(opts.connectionRate ? { connectionRate: opts.connectionRate } : {}),
    requests,
    timeout: 30,
  });
  instance.on("response", (_client, status, _bytes, ms) => {
    // Counted (latency, throughput) only after the warm-up; every response is in the statuses.
    if (performance.now() - started >= raw.warmupMs) {
      raw.latencies.push(ms);
      (raw.byStatus[status] ??= []).push(ms);
    }
    raw.statuses[status] = (raw.statuses[status] ?? 0) + 1;
    raw.last = performance.now();
  });
  const result = await instance;
  raw.errors += result.errors;
  raw.timeouts += result.timeouts;
}

/** Runs `body` between the CPU probe and profiler hooks, and summarizes what it recorded. */
async function measured(
  label: string,
  cpuOverride: LoadOptions["cpu"],
  body: (started: number, raw: Raw) => Promise<void>,
  warmupMs = 0,
): Promise<LoadResult> {
  const raw: Raw = {
    latencies: [],
    byStatus: {},
    statuses: {},
    outcomes: {},
    marks: [],
    errors: 0,
    timeouts: 0,
    last: 0,
    warmupMs,
  };
  await hooks?.before();
  const probe = cpuOverride ?? cpuProbe;
  const cpuBefore = await probe?.();
  const started = performance.now();
  await body(started, raw);
  const seconds = ((raw.last || performance.now()) - started - warmupMs) / 1000;
  const cpuAfter = await probe?.();
  await hooks?.after(label);
  const perRequest = (k: string) =>
    round((cpuAfter![k] - (cpuBefore![k] ?? 0)) / Math.max(1, raw.latencies.length));
  return {
    responses: Object.values(raw.statuses).reduce((a, b) => a + b, 0),
    seconds: round(seconds),
    rps: round(raw.latencies.length / seconds),
    latency_ms: summarize(raw.latencies),
    statuses: raw.statuses,
    latency_by_status_ms: Object.fromEntries(
      Object.entries(raw.byStatus).map(([status, ms]) => [status, summarize(ms)]),
    ),
    outcomes: raw.outcomes,
    errors: raw.errors,
    timeouts: raw.timeouts,
    marks: raw.marks,
    cpu_ms_per_request: cpuBefore && cpuAfter
      ? Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, perRequest(k)]))
      : undefined,
  };
}

/** Runs one closed-loop load and returns throughput, latency percentiles and outcome counts. */
export function runLoad(opts: LoadOptions, markOutcome?: string): Promise<LoadResult> {
  const label = `${opts.label ?? opts.requests?.[0]?.path} × ${opts.connections}`;
  return measured(label, opts.cpu, (started, raw) => fire(opts, started, markOutcome, raw));
}

/**
 * Paced clients: `clients` autocannon instances of one connection each, every
 * one sending `perSecond` requests a second for `seconds`, their starts spread
 * evenly over the first second so they do not all fire together — e.g. door
 * scanners, each scanning at its own pace, rather than a closed loop that
 * measures only how long the queue is. The first `warmupSeconds` (connections
 * opening, clients starting) are run but not counted: the figure is the steady state.
 */
export function runPaced(
  opts: Omit<LoadOptions, "connections" | "amount" | "durationSeconds"> & {
    clients: number;
    perSecond: number;
    seconds: number;
    warmupSeconds: number;
  },
): Promise<LoadResult> {
  const label = `${opts.label} paced, ${opts.clients} × ${opts.perSecond}/s`;
  return measured(label, opts.cpu, async (started, raw) => {
    await Promise.all(Array.from({ length: opts.clients }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, (1000 * i) / opts.clients));
      await fire(
        {
          ...opts,
          connections: 1,
          amount: opts.perSecond * (opts.warmupSeconds + opts.seconds),
          connectionRate: opts.perSecond,
        },
        started,
        undefined,
        raw,
      );
    }));
  }, opts.warmupSeconds * 1000);
}
