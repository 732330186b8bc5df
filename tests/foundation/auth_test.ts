import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { createApp } from "../../shared/http.ts";
import { isServiceRoleToken, optionalUser, requireRole, requireUser } from "../../shared/auth.ts";
import { dbTest } from "../support/harness.ts";
import {
  anonKey,
  es256Token,
  hs256Token,
  projectApiKey,
  TEST_ES256_PUBLIC_JWK,
} from "../support/tokens.ts";

const USER_ID = "3b241101-e2bb-4255-8caf-4136c566a962";

function probeApp() {
  const app = createApp("probe");
  app.get("/me", requireUser, (c) => c.json({ id: c.var.user.id, roles: c.var.user.roles }));
  app.get("/admin", requireRole("admin"), (c) => c.json({ ok: true }));
  app.get("/maybe", optionalUser, (c) => c.json({ id: c.get("user")?.id ?? null }));
  return app;
}

async function call(path: string, token?: string) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const response = await probeApp().request(`/probe${path}`, { headers });
  return { status: response.status, body: await response.json() };
}

const b64 = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

dbTest("valid HS256 and ES256 tokens pass; roles come from user_roles", async () => {
  for (
    const token of [
      await hs256Token({ sub: USER_ID, roles: ["scanner"] }),
      await es256Token({ sub: USER_ID, roles: ["scanner"] }),
    ]
  ) {
    const { status, body } = await call("/me", token);
    assert.equal(status, 200);
    assert.deepEqual(body, { id: USER_ID, roles: ["user", "scanner"] });
  }
});

dbTest("app_metadata.roles is accepted when the hook claim is absent", async () => {
  const token = await hs256Token({ sub: USER_ID, roles: [], app_metadata: { roles: ["admin"] } });
  assert.equal((await call("/admin", token)).status, 200);
});

dbTest("bad tokens get 401 unauthorized", async () => {
  const now = Math.floor(Date.now() / 1000);
  const bad: Record<string, string> = {
    missing: "",
    expired: await hs256Token({ sub: USER_ID, expiresIn: now - 120 }),
    wrongAudience: await es256Token({ sub: USER_ID, aud: "anon" }),
    wrongSignature: await hs256Token({ sub: USER_ID }, "another-secret-that-is-long-enough-000000"),
    algNone: `${b64({ alg: "none", typ: "JWT" })}.${
      b64({ sub: USER_ID, aud: "authenticated", exp: now + 600 })
    }.`,
    // The public key used as an HMAC secret: the classic algorithm-confusion attack.
    algorithmConfusion: await new SignJWT({ aud: "authenticated", user_roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(USER_ID)
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(JSON.stringify(TEST_ES256_PUBLIC_JWK))),
    garbage: "not.a.jwt",
    noSubject: await hs256Token({ sub: "not-a-uuid" }),
    // Time claims: a token without `exp` would never expire; one issued an hour
    // from now was minted with a stolen key or a broken clock.
    noExpiry: await hs256Token({ sub: USER_ID, expiresIn: null }),
    noExpiryEs256: await es256Token({ sub: USER_ID, expiresIn: null }),
    issuedInTheFuture: await hs256Token({
      sub: USER_ID,
      issuedAt: now + 3600,
      expiresIn: now + 7200,
    }),
    issuedInTheFutureEs256: await es256Token({
      sub: USER_ID,
      issuedAt: now + 3600,
      expiresIn: now + 7200,
    }),
  };
  for (const [name, token] of Object.entries(bad)) {
    const { status, body } = await call("/me", token || undefined);
    assert.equal(status, 401, name);
    assert.equal(body.error.code, "unauthorized", name);
  }
});

dbTest("iat within the clock-skew leeway (30 s) is accepted, beyond it refused", async () => {
  const now = Math.floor(Date.now() / 1000);
  const skewed = await es256Token({ sub: USER_ID, issuedAt: now + 20 });
  assert.equal((await call("/me", skewed)).status, 200);
  const ahead = await es256Token({ sub: USER_ID, issuedAt: now + 90 });
  const { status, body } = await call("/me", ahead);
  assert.equal(status, 401);
  assert.equal(body.error.code, "unauthorized");
});

dbTest("a valid token without the role gets 403 forbidden", async () => {
  const { status, body } = await call("/admin", await hs256Token({ sub: USER_ID }));
  assert.equal(status, 403);
  assert.equal(body.error.code, "forbidden");
});

dbTest(
  "the anon key as bearer (supabase-js, nobody signed in) is a visitor, not a user",
  async () => {
    const key = await anonKey();
    assert.deepEqual(await call("/maybe", key), { status: 200, body: { id: null } });
    assert.equal((await call("/me", key)).status, 401);
    const forged = await anonKey("another-secret-that-is-long-enough-000000");
    assert.equal((await call("/maybe", forged)).status, 401);
    const user = await hs256Token({ sub: USER_ID });
    assert.deepEqual(await call("/maybe", user), { status: 200, body: { id: USER_ID } });
  },
);

dbTest(
  "the service-role key (no aud, iss supabase) is recognised; user and anon tokens are not",
  async () => {
    const bearer = (token: string) => `Bearer ${token}`;
    assert.equal(await isServiceRoleToken(bearer(await projectApiKey("service_role"))), true);
    assert.equal(await isServiceRoleToken(bearer(await anonKey())), false);
    assert.equal(await isServiceRoleToken(bearer(await hs256Token({ sub: USER_ID }))), false);
    const forged = await projectApiKey("service_role", "another-secret-that-is-long-enough-000000");
    assert.equal(await isServiceRoleToken(bearer(forged)), false);
  },
);
