/**
 * The per-event slow-payment policy (cash vouchers, ATM, bank transfers):
 * set by an admin or the event's coordinator, validated (400 naming the
 * field), shown with the event, and kept by the database's CHECKs when edited
 * by hand in Studio.
 */
import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callers } from "../support/callers.ts";
import { makeEvent } from "../support/builders.ts";

const event = {
  title: "Cash welcome",
  starts_at: "2027-05-01T20:00:00Z",
  ends_at: "2027-05-01T23:00:00Z",
};

dbTest("an event excludes slow payments unless told otherwise; admins choose hold", async () => {
  const app = createEventsApp();
  const admin = await callers(app).asAdmin();
  const plain = await admin.post("/events", event);
  assert.equal(plain.status, 201, JSON.stringify(plain.body));
  assert.equal(plain.body.slow_payments, "excluded");
  assert.equal(plain.body.slow_payment_days, 3);
  const cash = await admin.post("/events", {
    ...event,
    title: "Cash first",
    slow_payments: "hold",
    slow_payment_days: 5,
  });
  assert.equal(cash.status, 201, JSON.stringify(cash.body));
  assert.deepEqual([cash.body.slow_payments, cash.body.slow_payment_days], ["hold", 5]);
  // Published, the public detail shows the policy (the frontend tells buyers what they may use).
  await admin.put(`/events/${cash.body.id}`, { status: "published" });
  const detail = await callers(app).asAnon().get(`/events/${cash.body.id}`);
  assert.equal(detail.status, 200);
  assert.deepEqual([detail.body.slow_payments, detail.body.slow_payment_days], ["hold", 5]);
});

dbTest(
  "the event's coordinator sets the policy; a scanner or another coordinator may not",
  async () => {
    const { sql } = await setupHarness();
    const app = createEventsApp();
    const mine = await makeEvent(sql);
    const other = await makeEvent(sql);
    const coordinator = await callers(app).asCoordinator(mine.id);
    const set = await coordinator.put(`/events/${mine.id}`, {
      slow_payments: "hold",
      slow_payment_days: 7,
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual([set.body.slow_payments, set.body.slow_payment_days], ["hold", 7]);
    const [row] = await sql`select slow_payments, slow_payment_days from public.events
                           where id = ${mine.id}`;
    assert.deepEqual({ ...row }, { slow_payments: "hold", slow_payment_days: 7 });
    const scanner = await callers(app).asScanner(mine.id);
    assert.equal(
      (await scanner.put(`/events/${mine.id}`, { slow_payments: "excluded" })).status,
      403,
    );
    assert.equal(
      (await coordinator.put(`/events/${other.id}`, { slow_payments: "hold" })).status,
      403,
    );
    // The change is audited with what it changed.
    const [audit] = await sql`select data from public.audit_log
                             where entity_id = ${mine.id} and action = 'event.updated'`;
    assert.deepEqual(audit.data.changes.slow_payments, { from: "excluded", to: "hold" });
  },
);

dbTest("bad slow-payment settings → 400 validation_failed naming the field", async () => {
  const { sql } = await setupHarness();
  const admin = await callers(createEventsApp()).asAdmin();
  const { id } = await makeEvent(sql);
  const cases: Array<[unknown, string]> = [
    [{ slow_payments: "cash" }, "body.slow_payments"],
    [{ slow_payments: null }, "body.slow_payments"],
    [{ slow_payments: "HOLD" }, "body.slow_payments"],
    [{ slow_payment_days: 0 }, "body.slow_payment_days"],
    [{ slow_payment_days: 31 }, "body.slow_payment_days"],
    [{ slow_payment_days: 2.5 }, "body.slow_payment_days"],
    [{ slow_payment_days: "3" }, "body.slow_payment_days"],
  ];
  const wrong: string[] = [];
  for (const [patch, field] of cases) {
    for (
      const send of [
        () => admin.put(`/events/${id}`, patch),
        () => admin.post("/events", { ...event, ...(patch as object) }),
      ]
    ) {
      const { status, body } = await send();
      const fields = (body?.error?.details ?? []).map((d: { field: string }) => d.field);
      if (status !== 400 || body.error.code !== "validation_failed" || !fields.includes(field)) {
        wrong.push(`${JSON.stringify(patch)}: ${status} ${JSON.stringify(body?.error ?? body)}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

dbTest("a hand edit in Studio outside the policy's values is refused by the database", async () => {
  const { sql } = await setupHarness();
  const { id } = await makeEvent(sql);
  const refused = async (query: PromiseLike<unknown>) => {
    try {
      await query;
      return "ok";
    } catch (error) {
      return (error as { constraint_name?: string }).constraint_name;
    }
  };
  assert.equal(
    await refused(sql`update public.events set slow_payments = 'cash' where id = ${id}`),
    "events_slow_payments_check",
  );
  assert.equal(
    await refused(sql`update public.events set slow_payment_days = 0 where id = ${id}`),
    "events_slow_payment_days_check",
  );
});
