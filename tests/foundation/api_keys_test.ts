/**
 * The new Supabase API keys, sent the way supabase-js and curl send them: a
 * publishable key (as `apikey` and/or bearer) is a visitor, a secret key
 * authorises the scheduler, and a key the project does not have is 401.
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { createApp } from "../../shared/http.ts";
import { optionalUser, requireUser } from "../../shared/auth.ts";
import { createEventsApp } from "../../functions/events/routes.ts";
import { createNotificationsApp } from "../../functions/notifications/routes.ts";
import { createGateway } from "../../functions/gateway.ts";
import { FUNCTIONS } from "../../functions/registry.ts";
import { captureLogs } from "../../shared/log.ts";
import { dbTest } from "../support/harness.ts";
import { asProduction, withConfig } from "../support/production_env.ts";
import { es256Token, hs256Token } from "../support/tokens.ts";

const PUBLISHABLE = "sb_publishable_0123456789abcdefABCDEF_test";
const SECRET = "sb_secret_0123456789abcdefABCDEF_scheduler";
const KEYS = {
  SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: PUBLISHABLE }),
  SUPABASE_SECRET_KEYS: JSON.stringify({ default: SECRET }),
};
const USER_ID = "3b241101-e2bb-4255-8caf-4136c566a962";

function probeApp() {
  const app = createApp("probe");
  app.get("/me", requireUser, (c) => c.json({ id: c.var.user.id }));
  app.get("/maybe", optionalUser, (c) => c.json({ id: c.get("user")?.id ?? null }));
  return app;
}

async function probe(path: string, headers: Record<string, string>) {
  const response = await probeApp().request(`/probe${path}`, { headers });
  return { status: response.status, body: await response.json() };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

dbTest("a publishable key, as apikey or as bearer or both, is a visitor", async () => {
  await withConfig(KEYS, async () => {
    for (
      const headers of [
        { apikey: PUBLISHABLE },
        bearer(PUBLISHABLE),
        { apikey: PUBLISHABLE, ...bearer(PUBLISHABLE) },
      ]
    ) {
      assert.deepEqual(await probe("/maybe", headers), { status: 200, body: { id: null } });
      assert.equal((await probe("/me", headers)).status, 401);
    }
    // A real route a visitor may read (supabase-js before sign-in).
    const events = await createEventsApp().request("/events", { headers: bearer(PUBLISHABLE) });
    assert.equal(events.status, 200);
    // A signed-in user's token replaces the key in Authorization.
    const user = { apikey: PUBLISHABLE, ...bearer(await es256Token({ sub: USER_ID })) };
    assert.deepEqual(await probe("/maybe", user), { status: 200, body: { id: USER_ID } });
  });
});

dbTest("an sb_ key the project does not have is 401, not a visitor", async () => {
  await withConfig(KEYS, async () => {
    for (const key of [`${PUBLISHABLE}x`, "sb_secret_not-this-project", "sb_other_thing"]) {
      const { status, body } = await probe("/maybe", bearer(key));
      assert.equal(status, 401, key);
      assert.equal(body.error.code, "unauthorized");
    }
  });
  // With no publishable key configured (local runs), any publishable key is a visitor.
  assert.deepEqual(await probe("/maybe", bearer(PUBLISHABLE)), { status: 200, body: { id: null } });
});

dbTest(
  "the scheduler accepts a secret key from SUPABASE_SECRET_KEYS, as apikey or bearer",
  async () => {
    await asProduction(async () => {
      const app = createNotificationsApp();
      const dispatch = (headers: Record<string, string>) =>
        app.request("/notifications/dispatch", { method: "POST", headers });
      for (const headers of [{ apikey: SECRET }, bearer(SECRET)]) {
        const response = await dispatch(headers);
        assert.equal(response.status, 200, await response.text());
      }
      for (
        const headers of [{ apikey: PUBLISHABLE }, bearer(PUBLISHABLE), bearer(`${SECRET}x`), {
          apikey: `${SECRET}x`,
        }]
      ) {
        const response = await dispatch(headers);
        assert.equal(response.status, 401, JSON.stringify(headers));
        await response.body?.cancel();
      }
    }, KEYS);
  },
);

dbTest("the injected legacy anon key is a visitor in production with no HS256 secret", async () => {
  // Supabase injects SUPABASE_ANON_KEY; production here cannot verify it (no JWT_SECRET).
  const anonKey = await new SignJWT({ iss: "supabase", ref: "abc", role: "anon" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime("10y")
    .sign(crypto.getRandomValues(new Uint8Array(32)));
  await asProduction(async () => {
    assert.deepEqual(await probe("/maybe", bearer(anonKey)), { status: 200, body: { id: null } });
    assert.equal((await probe("/maybe", bearer(`${anonKey}x`))).status, 401);
  }, { SUPABASE_ANON_KEY: anonKey });
});

dbTest("no log record carries a token, an API key or a secret, accepted or refused", async () => {
  const user = await es256Token({ sub: USER_ID, roles: ["user", "admin"] });
  const forged = await hs256Token({ sub: USER_ID }, "a-forged-secret-that-is-long-enough-0000");
  const credentials = [user, forged, PUBLISHABLE, SECRET, `${SECRET}x`, "wrong-scheduler-secret"];
  const { records } = await captureLogs(() =>
    withConfig({ ...KEYS, LOG_LEVEL: "debug" }, async () => {
      const gateway = createGateway(FUNCTIONS);
      const send = async (path: string, headers: Record<string, string>, method = "GET") => {
        const response = await gateway.request(`/functions/v1${path}`, { method, headers });
        await response.body?.cancel();
      };
      await send("/events?status=draft", bearer(user));
      await send("/events", bearer(forged));
      await send("/events", { apikey: PUBLISHABLE, ...bearer(PUBLISHABLE) });
      await send("/notifications/dispatch", { apikey: SECRET }, "POST");
      await send("/notifications/dispatch", bearer(`${SECRET}x`), "POST");
      await send("/purchases/sweep", { "x-scheduler-secret": "wrong-scheduler-secret" }, "POST");
      await send(`/tickets/user/${USER_ID}?access_token=${user}`, bearer(forged));
    })
  );
  assert.ok(records.length >= 7, "every request was logged");
  const logged = JSON.stringify(records);
  for (const credential of credentials) assert.ok(!logged.includes(credential));
  assert.doesNotMatch(logged, /eyJ[\w-]+\.[\w-]+\.[\w-]+/);
});
