import assert from "node:assert/strict";
import type { Sql } from "../../shared/db/mod.ts";
import { dbTest } from "../support/harness.ts";
import { makeUser } from "../support/builders.ts";
import { purchaseEnv } from "./env.ts";
import { deliver, orderAwaitingPayment, orderState } from "./webhook_support.ts";

type Env = Awaited<ReturnType<typeof purchaseEnv>>;

/** A paid three-ticket order whose first ticket already went through the door. */
async function paidOrderOneUsed({ sql, app, fake }: Env) {
  const setup = await orderAwaitingPayment(sql, fake, { quantity: 3 });
  fake.setPaymentStatus(setup.paymentId, "approved");
  await deliver(app, setup.paymentId);
  const tickets = await sql<{ id: string }[]>`
    select id from public.tickets where order_id = ${setup.order.order_id} order by issue_seq`;
  const scanner = await makeUser(sql, ["scanner"]);
  const entry = await scan(sql, tickets[0].id, setup.event.id, scanner.id);
  assert.equal(entry.result, "ok");
  return { ...setup, tickets: tickets.map((t) => t.id), scanner };
}

/** What the door answers for a ticket at the event's start (the door's own SQL, online). */
async function scan(sql: Sql, ticketId: string, eventId: string, scannerId: string) {
  const [{ answer }] = await sql<{ answer: { result: string } }[]>`
    select public.checkin_apply(${ticketId}, ${eventId}, ${scannerId}, 'entry', 'A', 'dev-1',
      ${crypto.randomUUID()}, (select starts_at from public.events where id = ${eventId}),
      false) as answer`;
  return answer;
}

const alerts = async (sql: Sql, chargebackRowId: string) =>
  (await sql<{ recipient: string }[]>`
    select recipient from public.email_outbox
     where template = 'chargeback_alert' and dedupe_key like ${`chargeback_alert:${chargebackRowId}:%`}
     order by recipient`).map((r) => r.recipient);

dbTest("a chargeback disputes the order: unused tickets revoked, the used one kept", async () => {
  const env = await purchaseEnv();
  const { sql, app, fake } = env;
  const admins = [await makeUser(sql, ["admin"]), await makeUser(sql, ["admin"])];
  const { order, ticketType, paymentId, tickets, event, scanner } = await paidOrderOneUsed(env);
  const chargebackId = fake.addChargeback(paymentId);
  const res = await deliver(app, chargebackId, { topic: "chargebacks" });
  assert.equal(res.body.state, "processed");
  assert.deepEqual(await orderState(sql, order.order_id, ticketType.id), {
    status: "disputed",
    valid: 1,
    revoked: 2,
    sold: 1,
    held: 0,
  });
  const revoked = await sql`select revoke_reason from public.tickets
                             where order_id = ${order.order_id} and status = 'revoked'`;
  assert.deepEqual(revoked.map((r) => r.revoke_reason), ["chargeback", "chargeback"]);
  const [row] = await sql`select * from public.chargebacks where order_id = ${order.order_id}`;
  assert.equal(row.provider_chargeback_id, String(chargebackId));
  assert.equal(row.provider_payment_id, String(paymentId));
  assert.equal(row.amount, order.total);
  assert.deepEqual([row.tickets_revoked, row.tickets_used], [2, 1]);
  const everyAdmin = (await sql`select u.email from public.user_roles r
                                  join auth.users u on u.id = r.user_id
                                 where r.role = 'admin' order by u.email`).map((r) => r.email);
  assert.ok(admins.every((a) => everyAdmin.includes(a.email)));
  assert.deepEqual(await alerts(sql, row.id), everyAdmin, "each admin alerted once");
  // The door: every ticket of the order answers `disputed`, the used one included.
  for (const ticket of tickets) {
    assert.equal((await scan(sql, ticket, event.id, scanner.id)).result, "disputed");
  }
  // Redelivered, and the payment's own charged_back notification: nothing more happens.
  await deliver(app, chargebackId, { topic: "chargebacks" });
  assert.equal((await deliver(app, paymentId)).body.state, "processed");
  const rows = await sql`select id from public.chargebacks where order_id = ${order.order_id}`;
  assert.equal(rows.length, 1);
  assert.deepEqual(await alerts(sql, row.id), everyAdmin);
  assert.equal((await orderState(sql, order.order_id, ticketType.id)).sold, 1);
  const [{ audits }] = await sql`select count(*)::int as audits from public.audit_log
                                 where action = 'order.disputed' and entity_id = ${order.order_id}`;
  assert.equal(audits, 1);
  const refunds = await sql`select 1 from public.refunds where order_id = ${order.order_id}`;
  assert.equal(refunds.length, 0, "a chargeback is not a refund: no money is sent back by us");
});

dbTest("charged_back seen on the payment first: disputed at once, the id added later", async () => {
  const env = await purchaseEnv();
  const { sql, app, fake } = env;
  await makeUser(sql, ["admin"]);
  const { order, ticketType, paymentId } = await paidOrderOneUsed(env);
  const chargebackId = fake.addChargeback(paymentId);
  await deliver(app, paymentId); // the payment topic: status charged_back
  assert.equal((await orderState(sql, order.order_id, ticketType.id)).status, "disputed");
  const [first] = await sql`select id, provider_chargeback_id from public.chargebacks
                             where order_id = ${order.order_id}`;
  assert.equal(first.provider_chargeback_id, null);
  const mailed = (await alerts(sql, first.id)).length;
  assert.ok(mailed >= 1);
  await deliver(app, chargebackId, { topic: "chargebacks" });
  const rows = await sql`select id, provider_chargeback_id from public.chargebacks
                          where order_id = ${order.order_id}`;
  assert.deepEqual(rows.map((r) => ({ ...r })), [
    { id: first.id, provider_chargeback_id: String(chargebackId) },
  ]);
  assert.equal((await alerts(sql, first.id)).length, mailed, "no second alert");
});

dbTest("a chargeback on a payment that never paid the order only records it", async () => {
  const { sql, app, fake } = await purchaseEnv();
  const { order, ticketType, paymentId } = await orderAwaitingPayment(sql, fake, { quantity: 2 });
  const chargebackId = fake.addChargeback(paymentId);
  assert.equal((await deliver(app, chargebackId, { topic: "chargebacks" })).status, 200);
  assert.equal((await orderState(sql, order.order_id, ticketType.id)).status, "pending");
  const [row] = await sql`select provider_chargeback_id from public.chargebacks
                           where order_id = ${order.order_id}`;
  assert.equal(row.provider_chargeback_id, String(chargebackId));
});
