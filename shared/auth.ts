/**
 * Verification of Supabase access tokens with jose, and the Hono middleware
 * that guards routes. HS256 tokens are checked only against the project's
 * secret — and only when one is configured (JWT_SECRET); asymmetric ones only
 * against the JWKS, so a token signed with the public key as an HMAC secret
 * (algorithm confusion) never passes. Every token must carry `exp`, and one
 * issued in the future (`iat` past the clock leeway) is refused.
 */
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import type { MiddlewareHandler } from "hono";
import { config } from "./config.ts";
import { apiKeyKind, isNewApiKey } from "./api_keys.ts";
import { matchesAny } from "./secure_compare.ts";
import { forbidden, unauthorized } from "./errors.ts";
import { APP_ROLES, type AppEnv, type AppRole, type AuthUser } from "./app_env.ts";
import { isUuid } from "./uuid.ts";

export { APP_ROLES, type AppRole, type AuthUser } from "./app_env.ts";

const ASYMMETRIC_ALGORITHMS = ["ES256", "RS256"];

let jwks: JWTVerifyGetKey | undefined;

// jose loads with the first token, not at boot: preflights, health checks and
// public reads never need it, and it is a measurable share of a cold start.
let joseModule: Promise<typeof import("jose")> | undefined;
const loadJose = () => joseModule ??= import("jose");

/** The project's JWKS: the configured one, else Supabase's well-known endpoint (cached by jose). */
async function projectJwks(): Promise<JWTVerifyGetKey | undefined> {
  if (jwks) return jwks;
  const { createLocalJWKSet, createRemoteJWKSet } = await loadJose();
  const { SUPABASE_JWKS, SUPABASE_URL } = config();
  if (SUPABASE_JWKS) {
    jwks = createLocalJWKSet(JSON.parse(SUPABASE_JWKS));
  } else if (SUPABASE_URL) {
    jwks = createRemoteJWKSet(new URL("/auth/v1/.well-known/jwks.json", SUPABASE_URL), {
      timeoutDuration: 3000,
      cooldownDuration: 30_000,
    });
  }
  return jwks;
}

/** Drops the cached JWKS so tests can switch keys. */
export function resetAuthForTests(): void {
  jwks = undefined;
  verified = new WeakMap();
  users = new WeakMap();
}

// Tokens that passed verification, by exact text, per configuration (a new
// config, e.g. another secret, starts empty). Clients send the same token with
// every request (a door scanner, thousands of times), and verifying it again —
// HMAC or ECDSA, base64, JSON, claims — was a measurable share of a scan. A hit
// is the very bytes that verified; `exp` is still checked on every use.
const VERIFIED_MAX = 10_000;
const CLOCK_TOLERANCE_SECONDS = 30;
let verified = new WeakMap<object, Map<string, JWTPayload>>();

function verifiedTokens(): Map<string, JWTPayload> {
  const settings = config();
  let tokens = verified.get(settings);
  if (!tokens) verified.set(settings, tokens = new Map());
  return tokens;
}

function stillValid(payload: JWTPayload): boolean {
  return typeof payload.exp === "number" &&
    payload.exp + CLOCK_TOLERANCE_SECONDS > nowSeconds();
}

function remember(tokens: Map<string, JWTPayload>, key: string, payload: JWTPayload) {
  // Only tokens that expire: one without `exp` would stay valid here forever.
  if (!stillValid(payload)) return;
  if (tokens.size >= VERIFIED_MAX) tokens.delete(tokens.keys().next().value!);
  tokens.set(key, payload);
}

/** Verifies signature, algorithm, `exp`, `aud` and (when configured) `iss`; throws `unauthorized`. */
export async function verifyAccessToken(
  token: string,
  // The project's legacy API keys (anon, service_role) are JWTs with no `aud` and `iss: supabase`.
  { apiKey = false } = {},
): Promise<JWTPayload> {
  const tokens = verifiedTokens();
  const key = `${apiKey ? "api-key" : "user"} ${token}`;
  const known = tokens.get(key);
  if (known && stillValid(known)) return known;
  tokens.delete(key);
  const payload = await verifyUncached(token, apiKey);
  remember(tokens, key, payload);
  return payload;
}

async function verifyUncached(token: string, apiKey: boolean): Promise<JWTPayload> {
  const { JWT_SECRET, SUPABASE_JWT_ISSUER } = config();
  const options = {
    ...(apiKey ? {} : { audience: "authenticated", issuer: SUPABASE_JWT_ISSUER }),
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    // A token without `exp` would be valid forever, however it leaked.
    requiredClaims: ["exp"],
  };
  const { decodeProtectedHeader, errors: joseErrors, jwtVerify } = await loadJose();
  try {
    const { alg } = decodeProtectedHeader(token);
    let payload: JWTPayload;
    if (alg === "HS256") {
      // No secret configured means no HS256 at all: never a default to fall back on.
      if (!JWT_SECRET) throw unauthorized("HS256 tokens are not accepted");
      const secret = new TextEncoder().encode(JWT_SECRET);
      payload = (await jwtVerify(token, secret, { ...options, algorithms: ["HS256"] })).payload;
    } else {
      const keys = await projectJwks();
      if (!keys || !alg || !ASYMMETRIC_ALGORITHMS.includes(alg)) {
        throw unauthorized("Unsupported token algorithm");
      }
      payload = (await jwtVerify(token, keys, { ...options, algorithms: ASYMMETRIC_ALGORITHMS }))
        .payload;
    }
    // jose checks `iat` only against a maximum age; a token from the future is
    // one minted with a stolen key or a broken clock, and outlives its `exp` intent.
    if (typeof payload.iat === "number" && payload.iat > nowSeconds() + CLOCK_TOLERANCE_SECONDS) {
      throw unauthorized("The access token was issued in the future");
    }
    return payload;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw unauthorized("The access token has expired");
    if (error instanceof joseErrors.JOSEError || error instanceof TypeError) {
      throw unauthorized("The access token is not valid");
    }
    throw error;
  }
}

const nowSeconds = () => Date.now() / 1000;

/** Roles from the RBAC hook's `user_roles` claim, or `app_metadata.roles`. */
export function rolesFromClaims(claims: JWTPayload): AppRole[] {
  const fromHook = claims.user_roles;
  const fromMetadata = (claims.app_metadata as { roles?: unknown } | undefined)?.roles;
  const raw = [
    ...(Array.isArray(fromHook) ? fromHook : []),
    ...(Array.isArray(fromMetadata) ? fromMetadata : []),
  ];
  const roles = new Set<AppRole>(["user"]);
  for (const role of raw) {
    if ((APP_ROLES as readonly unknown[]).includes(role)) roles.add(role as AppRole);
  }
  return [...roles];
}

export function userFromClaims(claims: JWTPayload): AuthUser {
  if (typeof claims.sub !== "string" || !isUuid(claims.sub)) {
    throw unauthorized("The access token has no user");
  }
  const roles = rolesFromClaims(claims);
  return {
    id: claims.sub.toLowerCase(),
    email: typeof claims.email === "string" ? claims.email : undefined,
    roles,
    isAdmin: roles.includes("admin"),
    claims,
  };
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

/**
 * The signed-in user, or undefined when no Authorization header was sent or it
 * carries one of the project's API keys (a visitor). A bad token is 401.
 */
export async function authenticate(header: string | undefined): Promise<AuthUser | undefined> {
  const token = bearerToken(header);
  if (!header) return undefined;
  if (!token) throw unauthorized("The Authorization header must be 'Bearer <token>'");
  if (isNewApiKey(token)) {
    await apiKeyKind(token); // 401 for a key this project does not have
    return undefined;
  }
  // A user token seen before: it verified with audience "authenticated", which the
  // anon key has not, so decoding it again to look for the anon role is no use.
  const known = verifiedTokens().get(`user ${token}`);
  if (known && stillValid(known)) return userOf(known);
  if (await isAnonKey(token)) return undefined;
  return userOf(await verifyAccessToken(token));
}

// The user a verified payload stands for, built once per payload (polls send the
// same token every few seconds).
let users = new WeakMap<JWTPayload, AuthUser>();

function userOf(claims: JWTPayload): AuthUser {
  let user = users.get(claims);
  if (!user) {
    user = userFromClaims(claims);
    Object.freeze(user.roles);
    users.set(claims, Object.freeze(user));
  }
  return user;
}

/**
 * supabase-js sends the project's (legacy, JWT) anon key as the bearer while
 * nobody is signed in: that caller is a visitor, not a bad token. The key is
 * the injected SUPABASE_ANON_KEY, or must verify (signature, expiry); it has
 * no audience.
 */
async function isAnonKey(token: string): Promise<boolean> {
  if (claimedRole(await loadJose(), token) !== "anon") return false;
  if (await matchesAny(token, config().apiKeys.publishable)) return true;
  await verifyAccessToken(token, { apiKey: true });
  return true;
}

function claimedRole({ decodeJwt }: typeof import("jose"), token: string): unknown {
  try {
    return decodeJwt(token).role;
  } catch {
    return undefined;
  }
}

/** 401 unless a valid user token is sent; sets `c.var.user`. */
export const requireUser: MiddlewareHandler<AppEnv> = async function requireUser(c, next) {
  const user = await authenticate(c.req.header("authorization"));
  if (!user) throw unauthorized();
  c.set("user", user);
  await next();
};

/** Sets `c.var.user` when a token is sent (invalid → 401); anonymous otherwise. */
export const optionalUser: MiddlewareHandler<AppEnv> = async function optionalUser(c, next) {
  const user = await authenticate(c.req.header("authorization"));
  if (user) c.set("user", user);
  await next();
};

/** 401 without a user, 403 unless the user holds one of `roles` globally. */
export function requireRole(...roles: AppRole[]): MiddlewareHandler<AppEnv> {
  return async function requireRoleMiddleware(c, next) {
    await requireUser(c, async () => {
      if (!roles.some((role) => c.var.user.roles.includes(role))) throw forbidden();
      await next();
    });
  };
}

/**
 * True when the bearer is one of the project's secret keys (`sb_secret_…`, the
 * injected SUPABASE_SERVICE_ROLE_KEY) or a legacy service-role JWT that
 * verifies (used by schedulers).
 */
export async function isServiceRoleToken(header: string | undefined): Promise<boolean> {
  const token = bearerToken(header);
  if (!token) return false;
  try {
    if (await apiKeyKind(token) === "secret") return true;
    if (isNewApiKey(token)) return false;
    const claims = await verifyAccessToken(token, { apiKey: true });
    return claims.role === "service_role";
  } catch {
    return false;
  }
}
