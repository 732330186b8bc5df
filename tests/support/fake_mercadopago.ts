/**
 * A fake Mercado Pago API on 127.0.0.1 (port 0) that the real `mercadopago`
 * SDK talks to through MERCADOPAGO_BASE_URL: Checkout Pro preferences,
 * payments (read and searched by external_reference), refunds and
 * chargebacks, with programmable failures and delays.
 */

export type FakeRoute = "preferences" | "payments" | "refunds" | "search" | "chargebacks";

export interface FakePayment {
  id: number;
  status: string;
  status_detail?: string;
  external_reference: string;
  transaction_amount: number;
  currency_id: string;
  date_created?: string;
  /** ticket (Rapipago, Pago Fácil), atm, bank_transfer, credit_card, … */
  payment_type_id?: string;
  payment_method_id?: string;
  /** A voucher's or transfer's deadline (the preference's date_of_expiration). */
  date_of_expiration?: string | null;
}

export interface FakeRefund {
  id: number;
  payment_id: number;
  idempotency_key: string | null;
  /** What was refunded, in the API's decimal units. */
  amount: number;
}

export interface FakeChargeback {
  id: number;
  payments: number[];
  amount: number;
  currency: string;
  coverage_applied: boolean;
  documentation_required: boolean;
}

export interface FakePreference {
  id: string;
  init_point: string;
  idempotency_key: string | null;
  // The SDK's request body, as sent.
  // deno-lint-ignore no-explicit-any
  body: any;
}

export interface FakeMercadoPago {
  url: string;
  preferences: FakePreference[];
  refunds: FakeRefund[];
  requests: Array<{ method: string; path: string }>;
  /** Adds a payment the API will report; returns its id. */
  addPayment(payment: Omit<FakePayment, "id"> & { id?: number }): number;
  setPaymentStatus(id: number, status: string, statusDetail?: string): void;
  payment(id: number): FakePayment | undefined;
  /** A chargeback on a payment, as the card issuer opens it: the payment turns charged_back. */
  addChargeback(paymentId: number): number;
  /** The next `times` calls to `route` answer `status` (default: every call until cleared). */
  fail(route: FakeRoute, status: number, times?: number): void;
  /** Every call to `route` waits `ms` first. */
  delay(route: FakeRoute, ms: number): void;
  /**
   * Runs after a new refund is made and before it is answered (a crash test
   * kills its caller here: refunded at the provider, never heard of by us).
   */
  onRefund(hook: ((refund: FakeRefund) => void) | undefined): void;
  reset(): void;
  close(): Promise<void>;
}

let nextId = 5_000_000_001;

export function startFakeMercadoPago(): FakeMercadoPago {
  const payments = new Map<number, FakePayment>();
  const failures = new Map<FakeRoute, { status: number; times: number }>();
  const delays = new Map<FakeRoute, number>();
  const preferences: FakePreference[] = [];
  const refunds: FakeRefund[] = [];
  const chargebacks = new Map<number, FakeChargeback>();
  const requests: Array<{ method: string; path: string }> = [];
  let refundHook: ((refund: FakeRefund) => void) | undefined;

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handle);
  const url = `http://127.0.0.1:${server.addr.port}`;

  async function handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    requests.push({ method: request.method, path });
    if (!/^Bearer \S+$/.test(request.headers.get("authorization") ?? "")) {
      return Response.json({ message: "unauthorized", status: 401 }, { status: 401 });
    }
    const route = routeOf(request.method, path, new URL(request.url).searchParams);
    if (!route) return Response.json({ message: "not found", status: 404 }, { status: 404 });
    const wait = delays.get(route.name);
    if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
    const failure = failures.get(route.name);
    if (failure && failure.times > 0) {
      failure.times--;
      return Response.json({ message: "fake failure", status: failure.status }, {
        status: failure.status,
      });
    }
    const key = request.headers.get("x-idempotency-key");
    const body = request.method === "POST" ? await request.json().catch(() => ({})) : undefined;
    return route.answer(key, body);
  }

  function routeOf(method: string, path: string, query: URLSearchParams) {
    if (method === "POST" && /^\/checkout\/preferences\/?$/.test(path)) {
      return { name: "preferences" as const, answer: createPreference };
    }
    if (method === "GET" && path === "/v1/payments/search") {
      return { name: "search" as const, answer: () => searchPayments(query) };
    }
    const payment = path.match(/^\/v1\/payments\/([^/]+)$/);
    if (method === "GET" && payment) {
      return { name: "payments" as const, answer: () => getPayment(payment[1]) };
    }
    const chargeback = path.match(/^\/v1\/chargebacks\/([^/]+)$/);
    if (method === "GET" && chargeback) {
      return { name: "chargebacks" as const, answer: () => getChargeback(chargeback[1]) };
    }
    const refund = path.match(/^\/v1\/payments\/([^/]+)\/refunds$/);
    if (method === "POST" && refund) {
      return {
        name: "refunds" as const,
        // deno-lint-ignore no-explicit-any
        answer: (key: string | null, body: any) => createRefund(refund[1], key, body?.amount),
      };
    }
    return undefined;
  }

  // deno-lint-ignore no-explicit-any
  function createPreference(key: string | null, body: any): Response {
    const existing = key ? preferences.find((p) => p.idempotency_key === key) : undefined;
    if (existing) return Response.json(existing, { status: 201 });
    const id = `pref-${nextId++}`;
    const preference = {
      id,
      init_point: `https://www.mercadopago.test/checkout?pref_id=${id}`,
      idempotency_key: key,
      body,
    };
    preferences.push(preference);
    return Response.json(preference, { status: 201 });
  }

  function getPayment(id: string): Response {
    const payment = payments.get(Number(id));
    if (!/^\d+$/.test(id) || !payment) {
      return Response.json({ message: "Payment not found", status: 404 }, { status: 404 });
    }
    return Response.json(payment);
  }

  /** GET /v1/payments/search: filtered by external_reference, newest first, paged. */
  function searchPayments(query: URLSearchParams): Response {
    const reference = query.get("external_reference");
    const limit = Math.min(Number(query.get("limit") ?? 30), 1000);
    const offset = Number(query.get("offset") ?? 0);
    const matching = [...payments.values()]
      .filter((p) => reference === null || p.external_reference === reference)
      .sort((a, b) => b.id - a.id);
    return Response.json({
      paging: { total: matching.length, limit, offset },
      results: matching.slice(offset, offset + limit),
    });
  }

  function getChargeback(id: string): Response {
    const chargeback = chargebacks.get(Number(id));
    if (!/^\d+$/.test(id) || !chargeback) {
      return Response.json({ message: "Chargeback not found", status: 404 }, { status: 404 });
    }
    return Response.json(chargeback);
  }

  /** A refund of `amount` (partial), or of what is left of the payment; refunded when nothing is. */
  function createRefund(id: string, key: string | null, amount?: number): Response {
    const payment = payments.get(Number(id));
    if (!payment) return Response.json({ message: "not found", status: 404 }, { status: 404 });
    const existing = key ? refunds.find((r) => r.idempotency_key === key) : undefined;
    if (existing) return Response.json({ ...existing, status: "approved" }, { status: 201 });
    const done = refunds.filter((r) => r.payment_id === payment.id)
      .reduce((sum, r) => sum + r.amount, 0);
    const left = Math.round((payment.transaction_amount - done) * 100) / 100;
    const value = amount ?? left;
    if (!(value > 0) || value > left) {
      return Response.json({ message: "invalid refund amount", status: 400 }, { status: 400 });
    }
    const refund = { id: nextId++, payment_id: payment.id, idempotency_key: key, amount: value };
    refunds.push(refund);
    if (value === left) payment.status = "refunded";
    refundHook?.(refund);
    return Response.json({ ...refund, status: "approved" }, { status: 201 });
  }

  return {
    url,
    preferences,
    refunds,
    requests,
    addPayment(payment) {
      const id = payment.id ?? nextId++;
      payments.set(id, { date_created: new Date().toISOString(), ...payment, id });
      return id;
    },
    setPaymentStatus(id, status, statusDetail) {
      const payment = payments.get(id);
      if (!payment) throw new Error(`no fake payment ${id}`);
      payment.status = status;
      if (statusDetail !== undefined) payment.status_detail = statusDetail;
    },
    payment: (id) => payments.get(id),
    addChargeback(paymentId) {
      const payment = payments.get(paymentId);
      if (!payment) throw new Error(`no fake payment ${paymentId}`);
      const id = nextId++;
      chargebacks.set(id, {
        id,
        payments: [paymentId],
        amount: payment.transaction_amount,
        currency: payment.currency_id,
        coverage_applied: false,
        documentation_required: true,
      });
      payment.status = "charged_back";
      return id;
    },
    fail(route, status, times = Number.POSITIVE_INFINITY) {
      failures.set(route, { status, times });
    },
    delay(route, ms) {
      delays.set(route, ms);
    },
    onRefund(hook) {
      refundHook = hook;
    },
    reset() {
      failures.clear();
      delays.clear();
      refundHook = undefined;
    },
    close: () => server.shutdown(),
  };
}
