import assert from "node:assert/strict";
import { renderEmail } from "./mod.ts";
import { TemplateError } from "./mod.ts";

const deps = { renderTicketQr: () => Promise.resolve(new Uint8Array([1, 2, 3])) };
const event = {
  id: "e1",
  title: `Rock & <Roll>`,
  venue: `"Luna" Park`,
  starts_at: "2026-12-31T23:00:00.000Z",
  time_zone: "America/Argentina/Buenos_Aires",
};

Deno.test("order confirmation: Spanish and English, money and local time, one cid per ticket", async () => {
  const data = {
    order_id: "o1",
    buyer_name: "Ana",
    event,
    total: 3000050,
    currency: "ARS",
    tickets: [
      { id: "t1", event_id: "e1", type_name: "VIP", attendee_name: "Ana" },
      { id: "t2", event_id: "e1", type_name: "VIP", attendee_name: null },
    ],
  };
  const es = await renderEmail({
    recipient: "a@b.c",
    template: "order_confirmation",
    data,
    locale: "es",
  }, deps);
  const en = await renderEmail({
    recipient: "a@b.c",
    template: "order_confirmation",
    data,
    locale: "en",
  }, deps);
  assert.equal(es.subject, "Tus entradas para Rock & <Roll>");
  assert.equal(en.subject, "Your tickets for Rock & <Roll>");
  assert.match(es.text, /30\.000,50/);
  assert.match(en.text, /30,000\.50/);
  assert.match(es.text, /20:00/, "23:00 UTC is 20:00 in Buenos Aires");
  assert.deepEqual(es.attachments?.map((a) => a.content_id), ["qr-t1", "qr-t2"]);
  assert.ok(es.html.includes('src="cid:qr-t1"') && es.html.includes('src="cid:qr-t2"'));
  assert.ok(
    es.html.includes("Rock &amp; &lt;Roll&gt;") && es.html.includes("&quot;Luna&quot; Park"),
  );
  assert.ok(!es.html.includes("<Roll>"));
});

Deno.test("notices render in both languages and escape user data", async () => {
  for (const locale of ["es", "en"] as const) {
    const refund = await renderEmail({
      recipient: "a@b.c",
      template: "refund_notice",
      data: { order_id: "o1", buyer_name: "<i>x</i>", event, amount: 1000, currency: "ARS" },
      locale,
    }, deps);
    const cancelled = await renderEmail({
      recipient: "a@b.c",
      template: "event_cancelled",
      data: { holder_name: null, event, ticket_count: 1 },
      locale,
    }, deps);
    for (const mail of [refund, cancelled]) {
      assert.ok(!mail.html.includes("<Roll>") && !mail.html.includes("<i>x"));
      assert.ok(!/<[a-z]/i.test(mail.text.replace(/<Roll>|<i>x<\/i>/g, "")));
    }
    assert.match(cancelled.subject, locale === "es" ? /^Evento cancelado/ : /^Event cancelled/);
    const refunding = await renderEmail({
      recipient: "a@b.c",
      template: "event_cancelled",
      data: { event, ticket_count: 2, refund_amount: 300_000, currency: "ARS" },
      locale,
    }, deps);
    assert.match(
      refunding.text,
      locale === "es" ? /Te devolvemos .*3\.000/ : /We are refunding .*3,000/,
    );
  }
});

Deno.test("bad data or an unknown template is a TemplateError (not retried)", async () => {
  await assert.rejects(
    renderEmail({ recipient: "a@b.c", template: "nope", data: {}, locale: "es" }, deps),
    TemplateError,
  );
  await assert.rejects(
    renderEmail({
      recipient: "a@b.c",
      template: "refund_notice",
      data: { order_id: 1 },
      locale: "es",
    }, deps),
    TemplateError,
  );
});
