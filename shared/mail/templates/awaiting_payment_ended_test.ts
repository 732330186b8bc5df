import assert from "node:assert/strict";
import { renderEmail } from "./mod.ts";

const deps = { renderTicketQr: () => Promise.resolve(new Uint8Array()) };
const data = {
  order_id: "o1",
  buyer_name: "<b>Ana</b>",
  event: {
    id: "e1",
    title: "Rock & <Roll>",
    venue: "Luna Park",
    starts_at: "2026-12-31T23:00:00.000Z",
    time_zone: "America/Argentina/Buenos_Aires",
  },
  deadline: "2026-12-20T02:30:00.000Z",
};

Deno.test("awaiting payment ended: both languages, the deadline in the event's time, escaped", async () => {
  const es = await renderEmail(
    { recipient: "a@b.c", template: "awaiting_payment_ended", data, locale: "es" },
    deps,
  );
  const en = await renderEmail(
    { recipient: "a@b.c", template: "awaiting_payment_ended", data, locale: "en" },
    deps,
  );
  assert.equal(es.subject, "Liberamos las entradas de tu orden para Rock & <Roll>");
  assert.equal(en.subject, "We released the tickets of your order for Rock & <Roll>");
  // 02:30 UTC on the 20th is 23:30 on the 19th in Buenos Aires.
  assert.match(es.text, /19 de diciembre de 2026.*23:30/);
  assert.match(en.text, /December 19, 2026.*11:30/);
  assert.match(en.text, /refund your money/);
  assert.ok(es.html.includes("&lt;b&gt;Ana&lt;/b&gt;") && !es.html.includes("<b>Ana</b>"));
  assert.ok(es.html.includes("Rock &amp; &lt;Roll&gt;"));
});
