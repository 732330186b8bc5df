/**
 * What a production deploy accepts as credentials, driven through the real
 * apps on the harness's database. The published dev JWT secret must open
 * nothing, whatever else is configured.
 */
import assert from "node:assert/strict";
import { DEV_JWT_SECRET } from "../../shared/config.ts";
import { createEventsApp } from "../../functions/events/routes.ts";
import { createNotificationsApp } from "../../functions/notifications/routes.ts";
import { signHs256Token } from "../../functions/_dev/demo.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { makeUser } from "../support/builders.ts";
import { callerFor } from "../support/callers.ts";
import { es256Token } from "../support/tokens.ts";
import { asProduction } from "../support/production_env.ts";

const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const newEvent = () => ({ title: "Forged show", starts_at: future(3), ends_at: future(4) });

dbTest(
  "production without an HS256 secret refuses an admin token forged with the dev secret",
  async () => {
    const { sql } = await setupHarness();
    const admin = await makeUser(sql, ["user", "admin"]);
    const claims = { sub: admin.id, email: admin.email, roles: admin.roles };
    const forged = await signHs256Token(DEV_JWT_SECRET, claims);
    await asProduction(async () => {
      const events = callerFor(createEventsApp(), forged);
      const created = await events.post("/events", newEvent());
      assert.equal(created.status, 401, JSON.stringify(created.body));
      assert.equal(created.body.error.code, "unauthorized");
      const outbox = await callerFor(createNotificationsApp(), forged).get(
        "/notifications/outbox",
      );
      assert.equal(outbox.status, 401, JSON.stringify(outbox.body));
      // The same admin through the JWKS path, as Supabase signs tokens, still works.
      const real = callerFor(createEventsApp(), await es256Token(claims));
      assert.equal((await real.post("/events", newEvent())).status, 201);
    });
    const count = await sql`select count(*)::int as n from events where title = 'Forged show'`;
    assert.equal(count[0].n, 1, "only the JWKS-signed request created an event");
  },
);
