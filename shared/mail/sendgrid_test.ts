import assert from "node:assert/strict";
import { parseAddress, rateLimitWaitMs, sendgridPayload } from "./sendgrid.ts";

Deno.test("rate-limit wait: Retry-After seconds or date, else X-RateLimit-Reset, bounded", () => {
  const now = 1_000_000_000_000;
  const wait = (h: Record<string, string>) => rateLimitWaitMs(new Headers(h), now);
  assert.equal(wait({ "retry-after": "7" }), 7000);
  assert.equal(wait({ "retry-after": new Date(now + 9000).toUTCString() }), 9000);
  assert.equal(wait({ "x-ratelimit-reset": String(now / 1000 + 12) }), 12_000);
  assert.equal(wait({ "x-ratelimit-reset": String(now / 1000 - 5) }), 1000, "never below 1 s");
  assert.equal(wait({ "retry-after": "86400" }), 15 * 60_000, "never above 15 min");
  assert.equal(wait({}), 60_000);
});

Deno.test("payload: text/plain before text/html, base64 inline attachments, parsed sender", () => {
  const payload = sendgridPayload({
    to: "a@b.c",
    subject: "s",
    text: "t",
    html: "<p>h</p>",
    attachments: [{
      content: new Uint8Array([255, 0, 1]),
      filename: "q.png",
      type: "image/png",
      disposition: "inline",
      content_id: "qr-1",
    }],
  }, "Crodify <tickets@crodify.com>");
  assert.deepEqual(payload.from, { email: "tickets@crodify.com", name: "Crodify" });
  assert.deepEqual(payload.content.map((c) => c.type), ["text/plain", "text/html"]);
  assert.deepEqual(payload.attachments, [{
    content: "/wAB",
    filename: "q.png",
    type: "image/png",
    disposition: "inline",
    content_id: "qr-1",
  }]);
  assert.deepEqual(parseAddress("plain@x.y"), { email: "plain@x.y" });
});
