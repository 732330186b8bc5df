/** Producers: mail queued in the caller's transaction, once per cause, rendered with inline QRs. */
import assert from "node:assert/strict";
import { withTx } from "../../shared/db/mod.ts";
import { CircuitBreaker } from "../../shared/circuit_breaker.ts";
import { dispatchOutbox } from "../../shared/mail/dispatcher.ts";
import { decodeBase64 } from "../../shared/mail/base64.ts";
import { issueTicketCode } from "../../shared/tickets/codes.ts";
import { renderQr } from "../../shared/tickets/qr.ts";
import { createTicketsApp } from "../../functions/tickets/routes.ts";
import { callers } from "../support/callers.ts";
import { queueOrderConfirmation, queueRefundNotice } from "../../shared/mail/mod.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { makePaidOrder, resetOutbox, withFakeSendgrid } from "../support/notification_builders.ts";
import { makeOrderWithTickets, makeUser } from "../support/builders.ts";

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const dispatchOptions = () => ({
  breaker: new CircuitBreaker({ name: "t", failureThreshold: 5, cooldownMs: 1000 }),
});

dbTest(
  "an order with N tickets gets one confirmation with N inline QRs that validate at the door",
  async () => {
    const { sql } = await setupHarness();
    await resetOutbox(sql);
    const order = await makePaidOrder(sql, { tickets: 3, buyerName: "Ana", locale: "es" });
    const first = await withTx(sql, (tx) => queueOrderConfirmation(tx, order.orderId));
    const replay = await withTx(sql, (tx) => queueOrderConfirmation(tx, order.orderId));
    assert.equal(first.queued, true);
    assert.deepEqual(replay, { id: first.id, queued: false }, "the same cause never queues twice");
    await withFakeSendgrid(async (fake) => {
      const report = await dispatchOutbox(sql, dispatchOptions());
      assert.equal(report.sent, 1);
      const [mail] = fake.accepted();
      assert.equal(fake.accepted().length, 1);
      assert.equal(mail.to, order.buyer.email);
      assert.match(mail.subject, /^Tus entradas para /);
      assert.equal(mail.attachments.length, 3);
      const cids = new Set<string>();
      const codes: string[] = [];
      for (const attachment of mail.attachments) {
        assert.equal(attachment.type, "image/png");
        assert.equal(attachment.disposition, "inline");
        assert.ok(attachment.content_id, "every inline image has a content_id");
        cids.add(attachment.content_id!);
        assert.ok(mail.html.includes(`src="cid:${attachment.content_id}"`), "the HTML shows it");
        const bytes = decodeBase64(attachment.content);
        assert.deepEqual([...bytes.subarray(0, 8)], PNG_MAGIC);
        // The image is exactly the QR of the ticket's signed code (rendering is deterministic)…
        const ticketId = attachment.content_id!.replace(/^qr-/, "");
        const code = await issueTicketCode({ ticketId, eventId: order.event.id });
        assert.deepEqual(bytes, await renderQr(code, "png"));
        codes.push(code);
      }
      assert.deepEqual([...cids].sort(), order.ticketIds.map((id) => `qr-${id}`).sort());
      assert.ok(!/<[a-z]/i.test(mail.text), "the plain-text alternative has no markup");
      assert.match(mail.text, /Hola Ana,/);
      assert.equal(mail.custom_args?.outbox_id, first.id);
      // …and that code admits its ticket once at /tickets/validate.
      const scanner = await callers(createTicketsApp()).asScanner(order.event.id);
      for (const code of codes) {
        const scan = await scanner.post("/tickets/validate", { code, event_id: order.event.id });
        assert.equal(scan.body.result, "ok", JSON.stringify(scan.body));
      }
    });
  },
);

dbTest("an event title and attendee name containing HTML arrive escaped", async () => {
  const { sql } = await setupHarness();
  await resetOutbox(sql);
  const order = await makePaidOrder(sql, {
    tickets: 1,
    eventTitle: `<script>alert("x")</script> & Friends`,
    attendeeName: `<img src=x onerror=alert(1)>`,
    buyerName: `Eve <b>`,
    locale: "en",
  });
  await withTx(sql, (tx) => queueOrderConfirmation(tx, order.orderId));
  await withFakeSendgrid(async (fake) => {
    await dispatchOutbox(sql, dispatchOptions());
    const [mail] = fake.accepted();
    assert.ok(!mail.html.includes("<script"), "no script tag");
    assert.ok(!mail.html.includes("<img src=x"), "no injected img tag");
    assert.ok(!mail.html.includes("<b>"), "no injected b tag");
    assert.ok(
      mail.html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Friends"),
    );
    assert.ok(mail.html.includes("&lt;img src=x onerror=alert(1)&gt;"));
    assert.ok(mail.html.includes("Hi Eve &lt;b&gt;,"));
    assert.equal(mail.subject, `Your tickets for <script>alert("x")</script> & Friends`);
  });
});

dbTest("mail queued in a transaction that rolls back is never sent", async () => {
  const { sql } = await setupHarness();
  await resetOutbox(sql);
  const order = await makePaidOrder(sql, { tickets: 1 });
  await assert.rejects(
    withTx(sql, async (tx) => {
      await queueOrderConfirmation(tx, order.orderId);
      throw new Error("payment handling failed after queueing");
    }),
  );
  const [{ n }] = await sql`select count(*)::int as n from public.email_outbox`;
  assert.equal(n, 0);
});

dbTest("refund notice and one cancellation notice per buyer, each once", async () => {
  const { sql } = await setupHarness();
  await resetOutbox(sql);
  const a = await makePaidOrder(sql, { tickets: 2, buyerEmail: "alias@buyer.test" });
  // A second buyer of the same event.
  const b = await makeUser(sql);
  const [type] = await sql<{ id: string; price: number }[]>`
    select tt.id, tt.price from public.ticket_types tt
      join public.tickets t on t.ticket_type_id = tt.id where t.order_id = ${a.orderId} limit 1`;
  await makeOrderWithTickets(sql, { event: a.event, ticketType: type, buyer: b, quantity: 1 });
  await withTx(sql, (tx) => queueRefundNotice(tx, a.orderId));
  // Cancelled as in Studio: the trigger queues the notices with the cancellation.
  await sql`update public.events set status = 'cancelled' where id = ${a.event.id}`;
  const [{ queued }] = await sql<{ queued: number }[]>`
    select buyers_mailed as queued from public.event_cancellations where event_id = ${a.event.id}`;
  assert.equal(queued, 2);
  const [{ again }] = await sql<{ again: number }[]>`
    select public.queue_event_cancelled_notices(${a.event.id}) as again`;
  assert.equal(again, 0);
  await withFakeSendgrid(async (fake) => {
    await dispatchOutbox(sql, dispatchOptions());
    const byRecipient = fake.accepted().map((m) => [m.to, m.subject.split(":")[0]]).sort();
    assert.deepEqual(
      byRecipient,
      [
        ["alias@buyer.test", "Evento cancelado"],
        ["alias@buyer.test", "Reembolso de tu compra para Test event " + a.event.slug],
        [b.email, "Evento cancelado"],
      ].sort(),
    );
    const cancelled = fake.accepted().find((m) =>
      m.to === "alias@buyer.test" && /cancelado/.test(m.subject)
    );
    assert.match(cancelled!.text, /Tus 2 entradas ya no son válidas/);
    assert.match(cancelled!.text, /Te devolvemos .*3\.000.* al medio de pago/);
  });
});
