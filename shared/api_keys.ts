/**
 * The project's API keys as callers present them. supabase-js (and curl users
 * copying the dashboard) send the publishable key both as `apikey` and as
 * `Authorization: Bearer sb_publishable_…` while nobody is signed in: that
 * caller is a visitor. A secret key (`sb_secret_…`, from SUPABASE_SECRET_KEYS)
 * identifies a server, e.g. the scheduler. The legacy JWT keys injected as
 * SUPABASE_ANON_KEY / SUPABASE_SERVICE_ROLE_KEY are recognised by value, so
 * they work without the HS256 secret.
 */
import { config } from "./config.ts";
import { unauthorized } from "./errors.ts";
import { matchesAny } from "./secure_compare.ts";

export type ApiKeyKind = "publishable" | "secret";

const PUBLISHABLE_PREFIX = "sb_publishable_";

/** Whether `token` has the shape of a new API key (`sb_publishable_…`, `sb_secret_…`). */
export const isNewApiKey = (token: string) => token.startsWith("sb_");

/**
 * What kind of project key `token` is, or undefined when it is none of them.
 * An `sb_…` key the project does not have is 401: neither a visitor nor a
 * user. A publishable key only makes its bearer a visitor, so where none is
 * configured (local runs) any `sb_publishable_…` is taken as one.
 */
export async function apiKeyKind(token: string): Promise<ApiKeyKind | undefined> {
  const { publishable, secret } = config().apiKeys;
  if (await matchesAny(token, secret)) return "secret";
  if (await matchesAny(token, publishable)) return "publishable";
  if (!isNewApiKey(token)) return undefined;
  if (token.startsWith(PUBLISHABLE_PREFIX) && publishable.length === 0) return "publishable";
  throw unauthorized("The API key is not one of this project's keys");
}

/** True when `key` is one of the project's secret keys (timing-safe; never throws). */
export async function isSecretApiKey(key: string | undefined): Promise<boolean> {
  return key !== undefined && await matchesAny(key, config().apiKeys.secret);
}
