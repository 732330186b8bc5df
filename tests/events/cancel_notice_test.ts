import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";
import { callers } from "../support/callers.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { makePaidOrder } from "../support/notification_builders.ts";

const api = callers(createEventsApp());

dbTest(
  "cancelling an event queues one notice per buyer, in the same transaction",
  async () => {
    const { sql } = await setupHarness();
    const order = await makePaidOrder(sql, { tickets: 2, startsInHours: 48 });
    const admin = await api.asAdmin();
    const cancelled = await admin.put(`/events/${order.event.id}`, { status: "cancelled" });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    const notices = await sql<{ recipient: string }[]>`
    select recipient from public.email_outbox
     where template = 'event_cancelled' and data -> 'event' ->> 'id' = ${order.event.id}`;
    assert.deepEqual(notices.map((n) => n.recipient), [order.buyer.email]);

    const again = await admin.put(`/events/${order.event.id}`, { status: "cancelled" });
    assert.equal(again.status, 200, "re-sending the same status is a no-op");
    const [{ n }] = await sql<{ n: number }[]>`
    select count(*)::int as n from public.email_outbox
     where template = 'event_cancelled' and data -> 'event' ->> 'id' = ${order.event.id}`;
    assert.equal(n, 1, "a repeated cancel queues nothing more");
  },
);
