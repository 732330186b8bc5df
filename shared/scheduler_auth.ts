/**
 * Authorisation of scheduled calls (pg_cron + pg_net, the local loop): the
 * shared SCHEDULER_SECRET as `Authorization: Bearer <secret>` or
 * `x-scheduler-secret`, or one of the project's secret keys (`sb_secret_…` from
 * SUPABASE_SECRET_KEYS, as `apikey` or bearer), or its service-role token.
 */
import type { MiddlewareHandler } from "hono";
import { config } from "./config.ts";
import { bearerToken, isServiceRoleToken } from "./auth.ts";
import { isSecretApiKey } from "./api_keys.ts";
import { unauthorized } from "./errors.ts";
import { timingSafeEqual } from "./secure_compare.ts";
import type { AppEnv } from "./http.ts";

export async function isSchedulerRequest(headers: Headers): Promise<boolean> {
  const secret = config().SCHEDULER_SECRET;
  const presented = headers.get("x-scheduler-secret") ||
    bearerToken(headers.get("authorization") ?? undefined);
  if (presented && await timingSafeEqual(presented, secret)) return true;
  if (await isSecretApiKey(headers.get("apikey") ?? undefined)) return true;
  return await isServiceRoleToken(headers.get("authorization") ?? undefined);
}

/** 401 unless the request carries the scheduler secret or a service-role token. */
export const requireScheduler: MiddlewareHandler<AppEnv> = async function requireScheduler(
  c,
  next,
) {
  if (!(await isSchedulerRequest(c.req.raw.headers))) {
    throw unauthorized("A scheduler secret, a secret API key or a service-role token is required");
  }
  await next();
};
