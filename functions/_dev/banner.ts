/** What the local gateway prints once it listens: where it is and how to call it. */
import { DEMO_EVENT_ID, DEMO_USERS, demoTokens, signProjectApiKey } from "./demo.ts";

/**
 * The banner; with `jwtSecret` (only ever in development) it also carries
 * ready-to-use tokens, which are credentials wherever that secret is trusted.
 */
export async function printBanner(origin: string, jwtSecret: string | undefined): Promise<string> {
  const base = `${origin}/functions/v1`;
  const tokens = jwtSecret ? await demoTokens(jwtSecret) : undefined;
  const credentials = jwtSecret && tokens
    ? [
      `Anon key (supabase-js createClient): ${await signProjectApiKey(jwtSecret, "anon")}`,
      "",
      "Demo access tokens (HS256, valid 30 days):",
      ...Object.entries(tokens).map(([who, token]) => `  ${who.padEnd(12)} ${token}`),
    ]
    : ["Demo tokens are printed only with APP_ENV=development."];
  return [
    "",
    `Crodify API listening on ${base}`,
    "",
    ...credentials,
    "",
    `Demo event: ${DEMO_EVENT_ID}`,
    "",
    `API docs: ${origin}/docs (Swagger UI), ${origin}/redoc, ${origin}/openapi.json`,
    "",
    "Try:",
    `  curl ${base}/health/ready`,
    `  curl ${base}/events`,
    `  curl ${base}/events/${DEMO_EVENT_ID}`,
    ...(tokens
      ? [
        `  curl -H "Authorization: Bearer ${tokens.user}" ${base}/tickets/user/${DEMO_USERS.user.id}`,
      ]
      : []),
    "",
  ].join("\n");
}
