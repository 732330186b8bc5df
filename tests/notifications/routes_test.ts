import assert from "node:assert/strict";
import { createNotificationsApp } from "../../functions/notifications/routes.ts";
import { config } from "../../shared/config.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callers } from "../support/callers.ts";
import { hs256Token } from "../support/tokens.ts";
import {
  queueTestEmails,
  resetOutbox,
  withFakeSendgrid,
} from "../support/notification_builders.ts";

const app = createNotificationsApp();
const { asAnon, asUser, asAdmin } = callers(app);

dbTest(
  "dispatch: 401 without the scheduler secret, with a wrong one, or with a user token",
  async () => {
    const anon = asAnon();
    const secret = config().SCHEDULER_SECRET;
    const refused = [
      await anon.post("/notifications/dispatch"),
      await anon.post("/notifications/dispatch", undefined, { authorization: "Bearer wrong" }),
      await anon.post("/notifications/dispatch", undefined, { "x-scheduler-secret": `${secret}x` }),
      await anon.post("/notifications/dispatch", undefined, { "x-scheduler-secret": "" }),
      await (await asAdmin()).post("/notifications/dispatch"),
    ];
    for (const response of refused) {
      assert.equal(response.status, 401, JSON.stringify(response.body));
      assert.equal(response.body.error.code, "unauthorized");
    }
  },
);

dbTest(
  "dispatch: the scheduler secret (either header) or a service-role token is accepted",
  async () => {
    const { sql } = await setupHarness();
    await resetOutbox(sql);
    const secret = config().SCHEDULER_SECRET;
    const serviceRole = await hs256Token({ sub: crypto.randomUUID(), role: "service_role" });
    const anon = asAnon();
    const accepted: Array<Record<string, string>> = [
      { authorization: `Bearer ${secret}` },
      { "x-scheduler-secret": secret },
      { authorization: `Bearer ${serviceRole}` },
    ];
    for (const headers of accepted) {
      const response = await anon.post("/notifications/dispatch", undefined, headers);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.claimed, 0);
    }
    await queueTestEmails(sql, 2, `route-${crypto.randomUUID()}`);
    await withFakeSendgrid(async (fake) => {
      const { body } = await anon.post("/notifications/dispatch", undefined, {
        "x-scheduler-secret": secret,
      });
      assert.equal(body.sent, 2);
      assert.equal(fake.accepted().length, 2);
    });
  },
);

dbTest("test-email: 401 anonymous, 403 for a non-admin", async () => {
  const anon = await asAnon().post("/notifications/test-email", { to: "a@b.test" });
  assert.equal(anon.status, 401);
  const user = await (await asUser()).post("/notifications/test-email", { to: "a@b.test" });
  assert.equal(user.status, 403);
  assert.equal(user.body.error.code, "forbidden");
});

dbTest(
  "test-email: an admin's mail goes through the outbox to SendGrid and reports its answer",
  async () => {
    const { sql } = await setupHarness();
    const admin = await asAdmin();
    await withFakeSendgrid(async (fake) => {
      const ok = await admin.post("/notifications/test-email", {
        to: "ops@crodify.test",
        locale: "en",
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.accepted, true);
      assert.equal(ok.body.transport, "sendgrid");
      assert.equal(ok.body.provider_status, 202);
      assert.equal(ok.body.message_id, "fake-1");
      assert.deepEqual(fake.accepted().map((m) => [m.to, m.subject]), [
        ["ops@crodify.test", "Crodify test email"],
      ]);
      const [row] = await sql`select status, provider_message_id from public.email_outbox
                             where id = ${ok.body.outbox_id}`;
      assert.deepEqual({ ...row }, { status: "sent", provider_message_id: "fake-1" });

      fake.setMode({ kind: "fail", status: 400 });
      const refused = await admin.post("/notifications/test-email", { to: "ops@crodify.test" });
      assert.equal(refused.status, 502);
      assert.equal(refused.body.error.code, "email_provider_unavailable");
      assert.equal(refused.body.error.details.provider_status, 400);
      assert.equal(refused.body.error.details.status, "failed");
    });
    const invalid = await admin.post("/notifications/test-email", { to: "not-an-email" });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error.details[0].field, "body.to");
  },
);

dbTest(
  "admins list failed emails and re-queue one; others get 403; sent mail cannot be re-queued",
  async () => {
    const { sql } = await setupHarness();
    await resetOutbox(sql);
    await queueTestEmails(sql, 2, `failed-${crypto.randomUUID()}`);
    const [failed, sent] = await sql<
      { id: string }[]
    >`select id from public.email_outbox order by recipient`;
    await sql`update public.email_outbox set status = 'failed', attempts = 8, last_error = 'sendgrid 500'
             where id = ${failed.id}`;
    await sql`update public.email_outbox set status = 'sent', sent_at = now() where id = ${sent.id}`;
    const user = await asUser();
    assert.equal((await user.get("/notifications/outbox")).status, 403);
    assert.equal((await user.post(`/notifications/outbox/${failed.id}/requeue`)).status, 403);

    const admin = await asAdmin();
    const list = await admin.get("/notifications/outbox?status=failed");
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(list.body.emails.map((e: { id: string }) => e.id), [failed.id]);
    assert.equal(list.body.emails[0].last_error, "sendgrid 500");

    const requeued = await admin.post(`/notifications/outbox/${failed.id}/requeue`);
    assert.equal(requeued.status, 200, JSON.stringify(requeued.body));
    assert.deepEqual([requeued.body.status, requeued.body.attempts], ["queued", 0]);
    const again = await admin.post(`/notifications/outbox/${failed.id}/requeue`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "email_not_failed");
    assert.equal((await admin.post(`/notifications/outbox/${sent.id}/requeue`)).status, 409);
    const missing = await admin.post(`/notifications/outbox/${crypto.randomUUID()}/requeue`);
    assert.equal(missing.status, 404);
    const [audit] = await sql`select count(*)::int as n from public.audit_log
                             where action = 'email.requeued' and entity_id = ${failed.id}`;
    assert.equal(audit.n, 1);
  },
);

dbTest("the notifications function is mounted by the gateway", async () => {
  const { createGateway } = await import("../../functions/gateway.ts");
  const { FUNCTIONS } = await import("../../functions/registry.ts");
  const response = await createGateway(FUNCTIONS).request("/functions/v1/notifications/dispatch", {
    method: "POST",
  });
  assert.equal(response.status, 401);
});
