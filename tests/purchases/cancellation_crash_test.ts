/**
 * Event cancellation at scale, with a crash: 2,000 paid orders (2 tickets each,
 * 1,500 buyers) are refunded by the sweep running as a process of its own,
 * killed with SIGKILL at the worst moment (Mercado Pago has just made a refund
 * whose answer the process never reads); a new sweep resumes. Each order is
 * refunded exactly once at Mercado Pago, every ticket is revoked, every buyer
 * is mailed once, and the progress endpoint reaches done. Needs PostgreSQL
 * (the process connects to the test's database).
 */
import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";
import { createTicketsApp } from "../../functions/tickets/routes.ts";
import { issueTicketCode } from "../../shared/tickets/codes.ts";
import { callers } from "../support/callers.ts";
import { spawnLogged } from "../support/lines.ts";
import { dbTest } from "../support/harness.ts";
import type { FakeRefund } from "../support/fake_mercadopago.ts";
import { eventOnSale, purchaseEnv } from "./env.ts";
import {
  refundCallsByPayment,
  refundsByPayment,
  seedPaidOrders,
  sweepUntilDone,
} from "./cancellation_support.ts";

const ORDERS = 2_000;
const BUYERS = 1_500;
const TICKETS_EACH = 2;
const PRICE = 50_000;
// Mid-way, and in the middle of a batch (200 per pass).
const CRASH_AT_REFUND = 700;
const ROOT = new URL("../../", import.meta.url).pathname;

const events = callers(createEventsApp());
const tickets = callers(createTicketsApp());

const test = Deno.env.get("DATABASE_URL") ? dbTest : Deno.test.ignore;

test("2,000 paid orders, a sweep killed mid-way: each refunded exactly once", async () => {
  const { sql, fake, env } = await purchaseEnv();
  const { event, ticketType } = await eventOnSale(sql, { capacity: 5_000, price: PRICE });
  const seeded = await seedPaidOrders(sql, fake, {
    eventId: event.id,
    ticketTypeId: ticketType.id,
    price: PRICE,
  }, { orders: ORDERS, buyers: BUYERS, ticketsEach: TICKETS_EACH });
  const ours = new Set(seeded.paymentIds);

  const admin = await events.asAdmin();
  const cancelled = await admin.post(`/events/${event.id}/cancel`, {});
  assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
  assert.deepEqual(
    [cancelled.body.orders.total, cancelled.body.tickets_revoked, cancelled.body.buyers_mailed],
    [ORDERS, ORDERS * TICKETS_EACH, BUYERS],
  );

  // The sweep in its own process, killed once Mercado Pago made refund number CRASH_AT_REFUND.
  const { child, stdout, stderr } = spawnLogged(Deno.execPath(), {
    args: ["run", "--allow-all", "tests/purchases/sweeper_process.ts"],
    cwd: ROOT,
    env: {
      ...env,
      MERCADOPAGO_ACCESS_TOKEN: "TEST-crodify-fake-token",
      MERCADOPAGO_BASE_URL: fake.url,
    },
  });
  let crashedOn: FakeRefund | undefined;
  const before = fake.refunds.length;
  fake.onRefund((refund) => {
    if (!crashedOn && fake.refunds.length - before === CRASH_AT_REFUND) {
      crashedOn = refund;
      child.kill("SIGKILL");
    }
  });
  const status = await child.status;
  fake.onRefund(undefined);
  await Promise.all([stdout.ended, stderr.ended]);
  assert.equal(status.signal, "SIGKILL", `the sweep ended on its own:\n${stderr.lines.join("\n")}`);
  assert.ok(crashedOn);

  const midway = (await admin.get(`/events/${event.id}/cancellation`)).body;
  assert.equal(midway.status, "running");
  assert.ok(midway.orders.refunded < CRASH_AT_REFUND, JSON.stringify(midway.orders));
  assert.ok(midway.orders.remaining > ORDERS - CRASH_AT_REFUND, JSON.stringify(midway.orders));
  const [lost] = await sql<{ status: string }[]>`
    select status from public.refunds where provider_payment_id = ${String(crashedOn.payment_id)}`;
  assert.equal(lost.status, "pending", "refunded at Mercado Pago, not known here yet");

  const passes = await sweepUntilDone(sql, event.id);

  // Mercado Pago: one refund per payment, of the whole amount; the lost one asked twice.
  const refunds = refundsByPayment(fake);
  const calls = refundCallsByPayment(fake);
  assert.equal([...refunds.keys()].filter((id) => ours.has(id)).length, ORDERS);
  for (const paymentId of seeded.paymentIds) {
    assert.deepEqual(
      refunds.get(paymentId),
      [(PRICE * TICKETS_EACH) / 100],
      `payment ${paymentId}`,
    );
  }
  assert.equal(calls.get(crashedOn.payment_id), 2, "the lost refund was asked again, same key");
  // Each refund at Mercado Pago carries its refund row's id as idempotency key.
  const keys = await sql<{ id: string; payment_id: string }[]>`
    select id, provider_payment_id as payment_id from public.refunds
     where order_id = any (${sql.array(seeded.orderIds)}::uuid[])`;
  const keyOf = new Map(fake.refunds.map((r) => [r.payment_id, r.idempotency_key]));
  assert.equal(new Set(keys.map((k) => k.id)).size, ORDERS);
  for (const { id, payment_id } of keys) assert.equal(keyOf.get(Number(payment_id)), id);
  const totalCalls = seeded.paymentIds.reduce((n, id) => n + (calls.get(id) ?? 0), 0);

  // The books: every order refunded once, every ticket revoked, places back.
  const [books] = await sql<Record<string, number>[]>`
    select count(*) filter (where o.status = 'refunded')::int as refunded_orders,
           (select count(*)::int from public.refunds r
             where r.order_id = any (${sql.array(seeded.orderIds)}::uuid[])
               and r.status = 'requested' and r.reason = 'event_cancelled') as refunds,
           (select count(*)::int from public.refunds r
             where r.order_id = any (${sql.array(seeded.orderIds)}::uuid[])) as refund_rows,
           (select count(*)::int from public.tickets t
             where t.event_id = ${event.id} and t.status = 'revoked') as revoked,
           (select count(*)::int from public.tickets t
             where t.event_id = ${event.id} and t.status = 'valid') as valid,
           (select sold from public.ticket_types where id = ${ticketType.id}) as sold
      from public.orders o where o.event_id = ${event.id}`;
  assert.deepEqual(books, {
    refunded_orders: ORDERS,
    refunds: ORDERS,
    refund_rows: ORDERS,
    revoked: ORDERS * TICKETS_EACH,
    valid: 0,
    sold: 0,
  });

  // Mail: one notice per buyer, and no per-order refund notice besides.
  const [mail] = await sql<{ notices: number; recipients: number; refund_notices: number }[]>`
    select count(*) filter (where template = 'event_cancelled')::int as notices,
           count(distinct recipient) filter (where template = 'event_cancelled')::int as recipients,
           count(*) filter (where template = 'refund_notice')::int as refund_notices
      from public.email_outbox
     where data -> 'event' ->> 'id' = ${event.id}`;
  assert.deepEqual(mail, { notices: BUYERS, recipients: BUYERS, refund_notices: 0 });

  const done = await admin.get(`/events/${event.id}/cancellation`);
  assert.equal(done.status, 200);
  assert.equal(done.body.status, "done");
  assert.deepEqual(done.body.orders, {
    total: ORDERS,
    refunded: ORDERS,
    skipped: 0,
    retrying: 0,
    remaining: 0,
  });
  assert.equal(done.body.refunded_amount, ORDERS * PRICE * TICKETS_EACH);

  // The door: any of those tickets is revoked.
  const [ticket] = await sql<{ id: string }[]>`
    select id from public.tickets where order_id = ${seeded.orderIds[ORDERS - 1]} limit 1`;
  const scanner = await tickets.asScanner(event.id);
  const scan = await scanner.post("/tickets/validate", {
    code: await issueTicketCode({ ticketId: ticket.id, eventId: event.id }),
    event_id: event.id,
  });
  assert.equal(scan.body.result, "revoked");
  console.log(
    `cancellation crash: ${ORDERS} orders, killed after ${CRASH_AT_REFUND} provider refunds ` +
      `(${midway.orders.refunded} known refunded at the crash), ${passes} passes to resume, ` +
      `${totalCalls} refund calls for ${refunds.size} refunds`,
  );
});
