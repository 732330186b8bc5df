/** Fixed ids of the demo rows in supabase/seed.sql, and dev tokens for them. */
import { SignJWT } from "jose";
import type { AppRole } from "../../shared/auth.ts";

export const DEMO_USERS = {
  user: { id: "00000000-0000-4000-8000-000000000001", email: "demo-user@crodify.local" },
  admin: { id: "00000000-0000-4000-8000-000000000002", email: "demo-admin@crodify.local" },
  scanner: { id: "00000000-0000-4000-8000-000000000003", email: "demo-scanner@crodify.local" },
  coordinator: {
    id: "00000000-0000-4000-8000-000000000004",
    email: "demo-coordinator@crodify.local",
  },
} as const;

export const DEMO_EVENT_ID = "10000000-0000-4000-8000-000000000001";

export interface TokenClaims {
  sub: string;
  email?: string;
  roles?: AppRole[];
  role?: string;
  aud?: string;
  /** null signs a token without `exp` (tests of what the API refuses). */
  expiresIn?: string | number | null;
  /** `iat` in seconds; now by default. */
  issuedAt?: number;
  [claim: string]: unknown;
}

/** Signs an HS256 token shaped like a Supabase access token (roles in `user_roles`). */
export async function signHs256Token(secret: string, claims: TokenClaims): Promise<string> {
  return await accessTokenJwt(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secret));
}

/** The claims of a Supabase access token, unsigned; the caller sets the header and signs. */
export function accessTokenJwt(claims: TokenClaims): SignJWT {
  const { sub, roles = ["user"], aud = "authenticated", expiresIn = "1h", issuedAt, ...rest } =
    claims;
  const jwt = new SignJWT({ role: "authenticated", user_roles: roles, ...rest })
    .setSubject(sub)
    .setAudience(aud)
    .setIssuedAt(issuedAt);
  return expiresIn === null ? jwt : jwt.setExpirationTime(expiresIn);
}

/**
 * A project API key shaped like Supabase's legacy keys (HS256, `role` anon or
 * service_role, `iss: supabase`, no user, no audience). The anon key is what
 * a frontend passes to `createClient`; supabase-js sends it as the bearer
 * token while nobody is signed in, so it must be signed with this secret.
 */
export async function signProjectApiKey(
  secret: string,
  role: "anon" | "service_role",
): Promise<string> {
  return await new SignJWT({ iss: "supabase", ref: "local", role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime("10y")
    .sign(new TextEncoder().encode(secret));
}

/** Long-lived tokens for the demo users, printed by the local gateway. */
export async function demoTokens(secret: string): Promise<Record<keyof typeof DEMO_USERS, string>> {
  const sign = (who: keyof typeof DEMO_USERS, roles: AppRole[]) =>
    signHs256Token(secret, {
      sub: DEMO_USERS[who].id,
      email: DEMO_USERS[who].email,
      roles,
      expiresIn: "30d",
    });
  return {
    user: await sign("user", ["user"]),
    admin: await sign("admin", ["user", "admin"]),
    scanner: await sign("scanner", ["user", "scanner"]),
    coordinator: await sign("coordinator", ["user", "coordinator"]),
  };
}
