/**
 * The load a fault scenario runs under: virtual users looping over what the
 * real clients do — read the event page, buy (and have Mercado Pago notify
 * the payment), scan at the door, poll an order — through the gateway over
 * HTTP, each answer recorded with its status, error code and duration.
 */
import type { FaultEnv } from "./fault_env.ts";
import { signedNotification } from "../support/purchase_builders.ts";

export interface Outcome {
  action: string;
  /** 0: the client gave up (no answer within the client's own bound). */
  status: number;
  code?: string;
  ms: number;
}

export interface Load {
  readonly outcomes: Outcome[];
  /** Stops the loops and waits for the requests in flight. */
  stop(): Promise<Outcome[]>;
}

/** Far past any deadline: a request still open then is a hang. */
const CLIENT_GIVE_UP_MS = 30_000;

export async function call(
  env: FaultEnv,
  action: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Outcome & { body?: Record<string, unknown> }> {
  const started = performance.now();
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  try {
    const response = await fetch(`${env.gateway.base}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(CLIENT_GIVE_UP_MS),
    });
    const text = await response.text();
    let body: Record<string, unknown> | undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch { /* not JSON */ }
    const code = (body?.error as { code?: string } | undefined)?.code;
    return { action, status: response.status, code, ms: performance.now() - started, body };
  } catch (error) {
    return {
      action,
      status: 0,
      code: (error as Error).name,
      ms: performance.now() - started,
    };
  }
}

/** Starts `users` loops; each user plays a different part in turn. */
export function startLoad(env: FaultEnv, users = 8): Load {
  const outcomes: Outcome[] = [];
  const orders: { id: string; token: string }[] = [];
  const { fixture } = env;
  let running = true;
  let n = 0;
  const record = (o: Outcome) =>
    outcomes.push({ action: o.action, status: o.status, code: o.code, ms: o.ms });

  async function buy() {
    const buyer = fixture.buyers[n++ % fixture.buyers.length];
    const created = await call(env, "purchase", "POST", "/purchases", {
      token: buyer.token,
      headers: { "idempotency-key": crypto.randomUUID() },
      body: {
        event_id: fixture.eventId,
        items: [{ ticket_type_id: fixture.ticketTypeId, quantity: 1 + (n % 2) }],
      },
    });
    record(created);
    if (created.status !== 201) return;
    const orderId = String(created.body!.order_id);
    orders.push({ id: orderId, token: buyer.token });
    const paymentId = env.fakeMp.addPayment({
      status: "approved",
      external_reference: orderId,
      transaction_amount: Number(created.body!.total) / 100,
      currency_id: "ARS",
    });
    const notification = await signedNotification(paymentId, { secret: env.webhookSecret });
    record(
      await call(env, "webhook", "POST", notification.path, {
        headers: notification.headers,
        body: notification.body,
      }),
    );
  }

  async function scan() {
    const code = fixture.codes[n++ % fixture.codes.length];
    record(
      await call(env, "scan", "POST", "/tickets/validate", {
        token: fixture.scannerToken,
        body: { code, event_id: fixture.eventId, nonce: crypto.randomUUID(), device_id: "d1" },
      }),
    );
  }

  async function status() {
    const order = orders[n++ % Math.max(1, orders.length)];
    if (!order) return await read();
    record(
      await call(env, "status", "GET", `/purchases/${order.id}/status`, { token: order.token }),
    );
  }

  async function read() {
    record(await call(env, "catalog", "GET", `/events/${fixture.eventId}`));
  }

  const parts = [read, buy, scan, status];
  const loops = Array.from({ length: users }, async (_, user) => {
    for (let turn = user; running; turn++) {
      await parts[turn % parts.length]();
      // A short think time keeps the load steady without saturating two cores.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

export interface Summary {
  requests: number;
  byStatus: Record<string, number>;
  /** 500s, and any 5xx but 503 and the documented provider 502s. */
  internal: number;
  /** Answers slower than the deadline (plus slack), and requests the client gave up on. */
  overDeadline: number;
  maxMs: number;
  /** The median answer time. */
  p50Ms: number;
}

export function summarize(outcomes: Outcome[], deadlineMs: number): Summary {
  const byStatus: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.status >= 400 || o.status === 0
      ? `${o.status} ${o.code ?? ""}`.trim()
      : `${o.status}`;
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  }
  const providerDown = new Set(["payment_provider_unavailable", "email_provider_unavailable"]);
  return {
    requests: outcomes.length,
    byStatus,
    internal:
      outcomes.filter((o) =>
        o.status >= 500 && o.status !== 503 && !(o.status === 502 && providerDown.has(o.code ?? ""))
      ).length,
    overDeadline: outcomes.filter((o) => o.status === 0 || o.ms > deadlineMs).length,
    maxMs: Math.round(Math.max(0, ...outcomes.map((o) => o.ms))),
    p50Ms: Math.round(outcomes.map((o) => o.ms).sort((a, b) => a - b)[outcomes.length >> 1] ?? 0),
  };
}
