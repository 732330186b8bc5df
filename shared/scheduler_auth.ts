/**
 * Authorisation of scheduled calls (pg_cron + pg_net, the local loop): the
 * shared SCHEDULER_SECRET as `Authorization: Bearer <secret>` or
 * `x-scheduler-secret`, or the project's service-role token.
 */
import type { MiddlewareHandler } from "hono";
import { config } from "./config.ts";
import { bearerToken, isServiceRoleToken } from "./auth.ts";
import { unauthorized } from "./errors.ts";
import { timingSafeEqual } from "./secure_compare.ts";
import type { AppEnv } from "./http.ts";

export async function isSchedulerRequest(headers: Headers): Promise<boolean> {
  const secret = config().SCHEDULER_SECRET;
  const presented = headers.get("x-scheduler-secret") ||
    bearerToken(headers.get("authorization") ?? undefined);
  if (presented && await timingSafeEqual(presented, secret)) return true;
  return await isServiceRoleToken(headers.get("authorization") ?? undefined);
}

/** 401 unless the request carries the scheduler secret or a service-role token. */
export const requireScheduler: MiddlewareHandler<AppEnv> = async function requireScheduler(
  c,
  next,
) {
  if (!(await isSchedulerRequest(c.req.raw.headers))) {
    throw unauthorized("A scheduler secret or service-role token is required");
  }
  await next();
};
