/**
 * Two ways a web frontend calls the functions, behind one small interface so
 * the same scenario runs through both:
 * - `supabaseJsClient`: `@supabase/supabase-js`'s `functions.invoke`, as the
 *   existing frontend does (user JWT as bearer, `apikey`, `x-client-info`);
 * - `browserFetchClient`: plain `fetch` with the CORS preflight a browser
 *   sends before every non-simple request.
 * Both send the `Origin` a browser adds and check the CORS headers of every
 * response, so a header the gateway forgot fails here as it would in Chrome.
 */
import assert from "node:assert/strict";
import { createClient, FunctionsFetchError, FunctionsHttpError } from "@supabase/supabase-js";
import { decodeQrPng, decodeQrSvg } from "../support/qr_decode.ts";

// Response bodies are whatever JSON the route returned; the scenario asserts on their fields.
// deno-lint-ignore no-explicit-any
export type Json = any;
export type Method = "GET" | "POST" | "PUT" | "DELETE";

/** Who calls: a signed-in user's access token, or nobody (the anon key only). */
export interface Identity {
  label: string;
  token?: string;
}

export interface ApiResult {
  status: number;
  body: Json;
  headers: Headers;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiClient {
  readonly name: string;
  /** `path` is what `invoke` takes: `<function>/<sub path>?<query>`, e.g. `events?limit=5`. */
  call(who: Identity, method: Method, path: string, options?: CallOptions): Promise<ApiResult>;
  /** Fetches the ticket's QR image and decodes the code it carries, as a camera would. */
  ticketQrCode(who: Identity, ticketId: string): Promise<string>;
  /** Requests sent, preflights sent, responses whose CORS headers were checked. */
  readonly counts: { requests: number; preflights: number; corsChecked: number };
}

export interface FrontendContext {
  /** The gateway's origin, playing SUPABASE_URL. */
  gateway: string;
  /** The web app's origin (in the gateway's CORS_ORIGINS). */
  appOrigin: string;
  /** The project's anon key. */
  anonKey: string;
}

type Counts = ApiClient["counts"];

/** fetch as a page on `appOrigin` sends it: with `Origin`, and CORS-checked on the way back. */
function browserFetch(appOrigin: string, counts: Counts): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("origin", appOrigin);
    const response = await fetch(input, { ...init, headers });
    const what = `${init?.method ?? "GET"} ${input} → ${response.status}`;
    assert.equal(response.headers.get("access-control-allow-origin"), appOrigin, what);
    assert.match(response.headers.get("vary") ?? "", /origin/i, `${what}: Vary`);
    // The request id is how the frontend reports an error; the browser only shows exposed headers.
    assert.match(response.headers.get("access-control-expose-headers") ?? "", /x-request-id/, what);
    counts.corsChecked++;
    return response;
  };
}

export function supabaseJsClient(context: FrontendContext): ApiClient {
  const counts: Counts = { requests: 0, preflights: 0, corsChecked: 0 };
  const fetchAsBrowser = browserFetch(context.appOrigin, counts);
  const clients = new Map<string, ReturnType<typeof createClient>>();
  // One client per identity, like one browser per person. `accessToken` feeds the token through
  // the same path a Supabase Auth session does (Authorization: Bearer <jwt>); without one the
  // client sends the anon key as the bearer, as it does for a visitor who is not signed in.
  const clientFor = (who: Identity) => {
    const key = who.token ?? "";
    if (!clients.has(key)) {
      clients.set(
        key,
        createClient(context.gateway, context.anonKey, {
          ...(who.token ? { accessToken: () => Promise.resolve(who.token!) } : {}),
          auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
          global: {
            fetch: (input, init) => {
              counts.requests++;
              return fetchAsBrowser(input, init);
            },
          },
        }),
      );
    }
    return clients.get(key)!;
  };

  async function call(who: Identity, method: Method, path: string, options: CallOptions = {}) {
    const { data, error, response } = await clientFor(who).functions.invoke(path, {
      method,
      body: options.body as Record<string, unknown> | undefined,
      headers: options.headers,
    });
    if (error instanceof FunctionsHttpError) {
      // The error envelope, as a frontend reads it: await error.context.json().
      const context = error.context as Response;
      return { status: context.status, body: await context.json(), headers: context.headers };
    }
    // A network error, or an assertion of browserFetch: surface the original.
    if (error instanceof FunctionsFetchError) throw error.context;
    if (error) throw error;
    return { status: response!.status, body: data, headers: response!.headers };
  }

  return {
    name: "supabase-js",
    counts,
    call,
    async ticketQrCode(who, ticketId) {
      // invoke reads image/png as text (lossy), so a frontend asks for the SVG and inlines it.
      const svg = await call(who, "GET", `tickets/${ticketId}/qr?format=svg`);
      assert.equal(svg.status, 200);
      assert.match(svg.headers.get("content-type") ?? "", /^image\/svg\+xml/);
      return decodeQrSvg(svg.body);
    },
  };
}

/** Request headers a browser sends without a preflight (Fetch standard, CORS-safelisted). */
function isSafelisted(name: string, value: string): boolean {
  if (["accept", "accept-language", "content-language"].includes(name)) return true;
  return name === "content-type" &&
    /^(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\b/i.test(value);
}

export function browserFetchClient(context: FrontendContext): ApiClient {
  const counts: Counts = { requests: 0, preflights: 0, corsChecked: 0 };
  const fetchAsBrowser = browserFetch(context.appOrigin, counts);

  async function preflight(url: string, method: Method, headers: Record<string, string>) {
    const requested = Object.entries(headers)
      .filter(([name, value]) => !isSafelisted(name, value))
      .map(([name]) => name).sort();
    const response = await fetch(url, {
      method: "OPTIONS",
      headers: {
        origin: context.appOrigin,
        "access-control-request-method": method,
        "access-control-request-headers": requested.join(", "),
      },
    });
    await response.body?.cancel();
    counts.preflights++;
    const what = `preflight of ${method} ${url}`;
    assert.ok(response.status === 204 || response.status === 200, `${what}: ${response.status}`);
    assert.equal(response.headers.get("access-control-allow-origin"), context.appOrigin, what);
    const list = (name: string) =>
      (response.headers.get(name) ?? "").toLowerCase().split(",").map((s) => s.trim());
    assert.ok(list("access-control-allow-methods").includes(method.toLowerCase()), what);
    const allowed = list("access-control-allow-headers");
    for (const name of requested) assert.ok(allowed.includes(name), `${what}: header ${name}`);
  }

  async function send(who: Identity, method: Method, path: string, options: CallOptions = {}) {
    const url = `${context.gateway}/functions/v1/${path}`;
    // What supabase-js would send, written out by hand (lower-case, as a browser sends them).
    const headers: Record<string, string> = {
      apikey: context.anonKey,
      authorization: `Bearer ${who.token ?? context.anonKey}`,
      "x-client-info": "crodify-e2e/fetch",
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...Object.fromEntries(
        Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
      ),
    };
    const simple = ["GET", "HEAD", "POST"].includes(method) &&
      Object.entries(headers).every(([name, value]) => isSafelisted(name, value));
    if (!simple) await preflight(url, method, headers);
    counts.requests++;
    return await fetchAsBrowser(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  }

  return {
    name: "fetch",
    counts,
    async call(who, method, path, options) {
      const response = await send(who, method, path, options);
      const type = response.headers.get("content-type") ?? "";
      const body = type.includes("json") ? await response.json() : await response.text();
      return { status: response.status, body, headers: response.headers };
    },
    async ticketQrCode(who, ticketId) {
      const response = await send(who, "GET", `tickets/${ticketId}/qr?format=png`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "image/png");
      return decodeQrPng(new Uint8Array(await response.arrayBuffer()));
    },
  };
}
