/**
 * One caller per role, driving a function's app in-process with
 * `app.request()`, the way hono's own tests do.
 */
import type { App } from "../../shared/http.ts";
import type { AppRole } from "../../shared/auth.ts";
import { setupHarness } from "./harness.ts";
import { assignStaff, makeUser, type TestUser } from "./builders.ts";
import { hs256Token } from "./tokens.ts";

// Response bodies are whatever JSON the route returned; tests assert on their fields.
// deno-lint-ignore no-explicit-any
type Json = any;

export interface ApiResponse<T = Json> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Caller {
  user?: TestUser;
  token?: string;
  request<T = Json>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>>;
  get<T = Json>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  post<T = Json>(
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>>;
  put<T = Json>(
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>>;
  delete<T = Json>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
}

export function callerFor(app: App, token?: string, user?: TestUser): Caller {
  const request = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const init: RequestInit = { method, headers: { ...headers } };
    const h = init.headers as Record<string, string>;
    if (token) h.authorization = `Bearer ${token}`;
    if (body !== undefined) {
      h["content-type"] ??= "application/json";
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    const response = await app.request(path, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch { /* non-JSON bodies (SVG, PNG) stay text */ }
    return { status: response.status, headers: response.headers, body: parsed as Json };
  };
  return {
    user,
    token,
    request,
    get: (path, headers) => request("GET", path, undefined, headers),
    post: (path, body, headers) => request("POST", path, body, headers),
    put: (path, body, headers) => request("PUT", path, body, headers),
    delete: (path, headers) => request("DELETE", path, undefined, headers),
  };
}

/** Callers bound to one app: anonymous, a fresh user per call, admin, event staff. */
export function callers(app: App) {
  const signedIn = async (roles: AppRole[] = ["user"]) => {
    const { sql } = await setupHarness();
    const user = await makeUser(sql, roles);
    const token = await hs256Token({ sub: user.id, email: user.email, roles: user.roles });
    return callerFor(app, token, user);
  };
  const staff = async (eventId: string, role: "scanner" | "coordinator") => {
    const caller = await signedIn(["user", role]);
    const { sql } = await setupHarness();
    await assignStaff(sql, eventId, caller.user!.id, role);
    return caller;
  };
  return {
    asAnon: () => callerFor(app),
    asUser: () => signedIn(["user"]),
    asAdmin: () => signedIn(["user", "admin"]),
    asScanner: (eventId: string) => staff(eventId, "scanner"),
    asCoordinator: (eventId: string) => staff(eventId, "coordinator"),
    /** A caller for an existing user (e.g. the buyer of an order). */
    as: async (user: TestUser) =>
      callerFor(
        app,
        await hs256Token({ sub: user.id, email: user.email, roles: user.roles }),
        user,
      ),
  };
}
