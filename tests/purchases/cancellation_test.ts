/**
 * Event cancellation as an admin and a buyer see it: POST /events/{id}/cancel
 * stops sales at once, the door and the scanner sync answer `revoked`, each
 * buyer gets one mail, the sweep refunds every paid order (what a partial
 * refund left, too) and GET /events/{id}/cancellation follows it to done.
 */
import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";
import { createTicketsApp } from "../../functions/tickets/routes.ts";
import { issueTicketCode } from "../../shared/tickets/codes.ts";
import { callers } from "../support/callers.ts";
import { makeUser, type TestUser } from "../support/builders.ts";
import { dbTest } from "../support/harness.ts";
import { makeOrder } from "../support/purchase_builders.ts";
import { asPostgrestRole, pgErrorCode } from "../support/rls.ts";
import { backdateTickets } from "../support/ticket_builders.ts";
import { eventOnSale, key, purchaseBody, purchaseEnv } from "./env.ts";
import { deliver } from "./webhook_support.ts";
import { refundsByPayment, sweepUntilDone } from "./cancellation_support.ts";
import { runSweep } from "../../functions/purchases/sweep_service.ts";
import { paymentProvider } from "../../shared/payments/mod.ts";

type Env = Awaited<ReturnType<typeof purchaseEnv>>;

const events = callers(createEventsApp());
const door = callers(createTicketsApp());
const PRICE = 100_000;

/** A pending order of `quantity` and its payment on the fake (approved when `pay`). */
async function order(env: Env, eventId: string, typeId: string, buyer: TestUser, quantity: number) {
  const made = await makeOrder(env.sql, {
    buyer,
    eventId,
    items: [{ ticketTypeId: typeId, quantity }],
  });
  const paymentId = env.fake.addPayment({
    status: "approved",
    external_reference: made.order_id,
    transaction_amount: made.total / 100,
    currency_id: "ARS",
  });
  return { orderId: made.order_id, paymentId };
}

async function paidOrder(env: Env, eventId: string, typeId: string, buyer: TestUser, n: number) {
  const made = await order(env, eventId, typeId, buyer, n);
  assert.equal((await deliver(env.app, made.paymentId)).status, 200);
  return made;
}

const outbox = async (env: Env, eventId: string) =>
  await env.sql<{ template: string; recipient: string }[]>`
    select template, recipient from public.email_outbox
     where data -> 'event' ->> 'id' = ${eventId} and template <> 'order_confirmation'`;

dbTest(
  "cancel: sales stop, door and sync say revoked, one mail per buyer, all refunded",
  async () => {
    const env = await purchaseEnv();
    const { sql, fake } = env;
    const { event, ticketType } = await eventOnSale(sql, { capacity: 20, price: PRICE });
    const [ana, ben, cai] = [await makeUser(sql), await makeUser(sql), await makeUser(sql)];
    const ana1 = await paidOrder(env, event.id, ticketType.id, ana, 1);
    const ana2 = await paidOrder(env, event.id, ticketType.id, ana, 2);
    const ben1 = await paidOrder(env, event.id, ticketType.id, ben, 2);
    const admin = await env.asAdmin();
    // Ben got one of his two tickets refunded before (a partial refund).
    const [benTicket] = await sql<{ id: string }[]>`
    select id from public.tickets where order_id = ${ben1.orderId} order by issue_seq limit 1`;
    const partial = await admin.post(`/purchases/${ben1.orderId}/refunds`, {
      ticket_ids: [benTicket.id],
    });
    assert.equal(partial.status, 201, JSON.stringify(partial.body));
    const caiPending = await order(env, event.id, ticketType.id, cai, 3);
    const eventTickets = await sql<{ id: string }[]>`
    select id from public.tickets where event_id = ${event.id}`;
    await backdateTickets(sql, eventTickets.map((t) => t.id));
    const scanner = await door.asScanner(event.id);
    const syncPath = `/tickets/events/${event.id}/scanner-sync`;
    const synced = await scanner.get(syncPath);
    assert.equal(synced.status, 200);

    const coordinator = await events.asCoordinator(event.id);
    assert.equal((await coordinator.post(`/events/${event.id}/cancel`, {})).status, 403);
    const put = await coordinator.put(`/events/${event.id}`, { status: "cancelled" });
    assert.equal(put.status, 403, "a coordinator may not cancel through PUT either");
    const eventsAdmin = await events.asAdmin();
    const notCancelled = await eventsAdmin.get(`/events/${event.id}/cancellation`);
    assert.deepEqual([notCancelled.status, notCancelled.body.error.code], [
      404,
      "cancellation_not_found",
    ]);

    const cancelled = await eventsAdmin.post(`/events/${event.id}/cancel`, {});
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.replayed, false);
    assert.equal(cancelled.body.status, "running");
    assert.deepEqual(cancelled.body.orders, {
      total: 3,
      refunded: 0,
      skipped: 0,
      retrying: 0,
      remaining: 3,
    });
    assert.equal(cancelled.body.tickets_revoked, 4, "Ana's 3 and Ben's one left");
    assert.equal(cancelled.body.buyers_mailed, 2, "Ana and Ben; Cai never paid");

    // Sales stopped at once: a new hold is refused, Cai's pending order released its places.
    const buyer = await env.asUser();
    const refused = await buyer.post("/purchases", purchaseBody(event.id, ticketType.id), key());
    assert.deepEqual([refused.status, refused.body.error.code], [409, "event_not_on_sale"]);
    const [cai1] = await sql<{ status: string; held: number }[]>`
    select o.status::text, public.ticket_type_held(${ticketType.id}) as held
      from public.orders o where o.id = ${caiPending.orderId}`;
    assert.deepEqual(cai1, { status: "cancelled", held: 0 });

    // The door says revoked now, and the next sync lists every ticket that stopped being valid.
    const code = await issueTicketCode({ ticketId: eventTickets[0].id, eventId: event.id });
    const scan = await scanner.post("/tickets/validate", { code, event_id: event.id });
    assert.equal(scan.body.result, "revoked");
    const next = await scanner.get(`${syncPath}?since=${synced.body.next_cursor}`);
    assert.deepEqual(
      next.body.revocations.map((r: { ticket_id: string }) => r.ticket_id).sort(),
      (await sql<{ id: string }[]>`
      select id from public.tickets where event_id = ${event.id}
         and revoke_reason = 'event_cancelled'`).map((t) => t.id).sort(),
    );
    assert.equal(next.body.revocations.length, 4);

    const again = await eventsAdmin.post(`/events/${event.id}/cancel`, {});
    assert.deepEqual([again.status, again.body.replayed], [202, true]);

    await sweepUntilDone(sql, event.id);
    const done = await eventsAdmin.get(`/events/${event.id}/cancellation`);
    assert.equal(done.body.status, "done");
    assert.deepEqual(done.body.orders, {
      total: 3,
      refunded: 3,
      skipped: 0,
      retrying: 0,
      remaining: 0,
    });
    assert.equal(done.body.refunded_amount, PRICE * 4, "1 + 2 of Ana's, Ben's remaining 1");
    const refunds = refundsByPayment(fake);
    assert.deepEqual(refunds.get(ana1.paymentId), [1000]);
    assert.deepEqual(refunds.get(ana2.paymentId), [2000]);
    assert.deepEqual(refunds.get(ben1.paymentId), [1000, 1000], "the partial, then the rest");

    // Cai pays after all: refunded, never issued, and told by a refund notice.
    assert.equal((await deliver(env.app, caiPending.paymentId)).status, 200);
    const [late] = await sql<{ status: string; tickets: number; reason: string }[]>`
    select o.status::text, (select count(*)::int from public.tickets t where t.order_id = o.id)
           as tickets, r.reason
      from public.orders o join public.refunds r on r.order_id = o.id
     where o.id = ${caiPending.orderId}`;
    assert.deepEqual(late, { status: "refunded", tickets: 0, reason: "event_cancelled" });
    assert.deepEqual(refundsByPayment(fake).get(caiPending.paymentId), [3000]);

    const mails = (await outbox(env, event.id)).map((m) => `${m.template} ${m.recipient}`).sort();
    assert.deepEqual(
      mails,
      [
        `event_cancelled ${ana.email}`,
        `event_cancelled ${ben.email}`,
        `refund_notice ${ben.email}`, // the partial refund, before the cancellation
        `refund_notice ${cai.email}`, // the late payment
      ].sort(),
    );
  },
);

dbTest("cancel: 404 for an unknown event, 409 for a finished one, 401/403 for others", async () => {
  const { sql } = await purchaseEnv();
  const admin = await events.asAdmin();
  const unknown = await admin.post(`/events/${crypto.randomUUID()}/cancel`, {});
  assert.deepEqual([unknown.status, unknown.body.error.code], [404, "event_not_found"]);
  const bad = await admin.post(`/events/not-a-uuid/cancel`, {});
  assert.equal(bad.status, 400);
  const { event } = await eventOnSale(sql);
  await sql`update public.events set status = 'finished' where id = ${event.id}`;
  const finished = await admin.post(`/events/${event.id}/cancel`, {});
  assert.deepEqual([finished.status, finished.body.error.code], [409, "invalid_status_transition"]);
  assert.equal((await events.asAnon().post(`/events/${event.id}/cancel`, {})).status, 401);
  assert.equal((await (await events.asUser()).get(`/events/${event.id}/cancellation`)).status, 403);
});

dbTest("a cancelled event stays cancelled, even for a hand edit", async () => {
  const { sql } = await purchaseEnv();
  const { event } = await eventOnSale(sql);
  await sql`update public.events set status = 'cancelled' where id = ${event.id}`;
  await assert.rejects(
    sql`update public.events set status = 'published' where id = ${event.id}`,
    (error: { code?: string }) => error.code === "23514",
  );
  const [row] =
    await sql`select status from public.event_cancellations where event_id = ${event.id}`;
  assert.equal(row.status, "done", "nothing to refund: done at once");
});

dbTest("Mercado Pago refusing refunds: progress shows them retrying until it accepts", async () => {
  const env = await purchaseEnv();
  const { sql, fake } = env;
  const { event, ticketType } = await eventOnSale(sql, { capacity: 20, price: PRICE });
  const paid = [
    await paidOrder(env, event.id, ticketType.id, await makeUser(sql), 1),
    await paidOrder(env, event.id, ticketType.id, await makeUser(sql), 1),
  ];
  const admin = await events.asAdmin();
  assert.equal((await admin.post(`/events/${event.id}/cancel`, {})).status, 202);
  fake.fail("refunds", 500);
  await runSweep(sql, paymentProvider());
  const stuck = (await admin.get(`/events/${event.id}/cancellation`)).body;
  assert.equal(stuck.status, "running");
  assert.deepEqual(stuck.orders, { total: 2, refunded: 0, skipped: 0, retrying: 2, remaining: 2 });
  assert.match(stuck.last_error, /500|fake failure|payment_provider/i);
  const [{ orders }] = await sql<{ orders: number }[]>`
    select count(*)::int as orders from public.orders
     where event_id = ${event.id} and status = 'refunded'`;
  assert.equal(orders, 2, "the orders are refunded here; only Mercado Pago's part waits");

  fake.reset();
  // Their backoff has passed.
  await sql`update public.refunds set next_attempt_at = now()
             where order_id = any (${sql.array(paid.map((p) => p.orderId))}::uuid[])`;
  await sweepUntilDone(sql, event.id);
  const done = (await admin.get(`/events/${event.id}/cancellation`)).body;
  assert.deepEqual(done.orders, { total: 2, refunded: 2, skipped: 0, retrying: 0, remaining: 0 });
  assert.equal(done.last_error, null);
  for (const { paymentId } of paid) assert.deepEqual(refundsByPayment(fake).get(paymentId), [1000]);
});

dbTest(
  "PostgREST: admins read the job and its progress, others nothing, nobody writes",
  async () => {
    const env = await purchaseEnv();
    const { sql } = env;
    const { event, ticketType } = await eventOnSale(sql, { capacity: 20, price: PRICE });
    const buyer = await makeUser(sql);
    const { orderId } = await paidOrder(env, event.id, ticketType.id, buyer, 1);
    await sql`update public.events set status = 'cancelled' where id = ${event.id}`;
    const read = (claims: Record<string, unknown>) =>
      asPostgrestRole(sql, "authenticated", claims, async (tx) => ({
        progress: (await tx`select total from public.event_cancellation_progress
                           where event_id = ${event.id}`).map((r) => r.total),
        jobs: (await tx`select order_id from public.event_cancellation_orders
                       where event_id = ${event.id}`).map((r) => r.order_id),
      }));
    const admin = await makeUser(sql, ["admin"]);
    assert.deepEqual(await read({ sub: admin.id, user_roles: ["user", "admin"] }), {
      progress: [1],
      jobs: [orderId],
    });
    assert.deepEqual(await read({ sub: buyer.id, user_roles: ["user"] }), {
      progress: [],
      jobs: [],
    });
    const write = await asPostgrestRole(
      sql,
      "authenticated",
      { sub: admin.id, user_roles: ["user", "admin"] },
      (tx) =>
        pgErrorCode(() =>
          tx`update public.event_cancellation_orders set status = 'skipped'
            where order_id = ${orderId}`
        ),
    );
    assert.equal(write, "42501", "insufficient privilege: writes go through the functions");
  },
);
