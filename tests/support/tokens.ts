/**
 * Access tokens shaped like Supabase's: HS256 with the project secret, and
 * ES256 with a key published in a JWKS (as new Supabase projects sign them).
 */
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { config } from "../../shared/config.ts";
import {
  accessTokenJwt,
  signHs256Token,
  signProjectApiKey,
  type TokenClaims,
} from "../../functions/_dev/demo.ts";

export type { TokenClaims };

const ES256_KID = "crodify-test-es256";
const es256 = await generateKeyPair("ES256", { extractable: true });
const publicJwk: JWK = { ...(await exportJWK(es256.publicKey)), kid: ES256_KID, alg: "ES256" };

/** The JWKS tests configure as SUPABASE_JWKS. */
export const TEST_JWKS = JSON.stringify({ keys: [publicJwk] });
export const TEST_ES256_PUBLIC_JWK = publicJwk;

/** The configured HS256 secret (the dev default in tests); production may have none. */
function projectSecret(): string {
  const secret = config().JWT_SECRET;
  if (!secret) throw new Error("no JWT_SECRET is configured: pass the secret to sign with");
  return secret;
}

export function hs256Token(claims: TokenClaims, secret = projectSecret()) {
  return signHs256Token(secret, claims);
}

export async function es256Token(claims: TokenClaims): Promise<string> {
  return await accessTokenJwt(claims)
    .setProtectedHeader({ alg: "ES256", kid: ES256_KID, typ: "JWT" })
    .sign(es256.privateKey);
}

/** A project API key (anon or service_role) as Supabase issues them; see signProjectApiKey. */
export function projectApiKey(
  role: "anon" | "service_role",
  secret = projectSecret(),
): Promise<string> {
  return signProjectApiKey(secret, role);
}

export const anonKey = (secret?: string) => projectApiKey("anon", secret);
