/** What the local gateway prints once it listens: where it is and how to call it. */
import { DEMO_EVENT_ID, DEMO_USERS, demoTokens, signProjectApiKey } from "./demo.ts";

export async function printBanner(origin: string, jwtSecret: string): Promise<string> {
  const tokens = await demoTokens(jwtSecret);
  const base = `${origin}/functions/v1`;
  return [
    "",
    `Crodify API listening on ${base}`,
    "",
    `Anon key (supabase-js createClient): ${await signProjectApiKey(jwtSecret, "anon")}`,
    "",
    "Demo access tokens (HS256, valid 30 days):",
    ...Object.entries(tokens).map(([who, token]) => `  ${who.padEnd(12)} ${token}`),
    "",
    `Demo event: ${DEMO_EVENT_ID}`,
    "",
    `API docs: ${origin}/docs (Swagger UI), ${origin}/redoc, ${origin}/openapi.json`,
    "",
    "Try:",
    `  curl ${base}/health/ready`,
    `  curl ${base}/events`,
    `  curl ${base}/events/${DEMO_EVENT_ID}`,
    `  curl -H "Authorization: Bearer ${tokens.user}" ${base}/tickets/user/${DEMO_USERS.user.id}`,
    "",
  ].join("\n");
}
