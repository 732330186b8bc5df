import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { buildManifest, checkWebhookSignature, signWebhook } from "./webhook_signature.ts";

const SECRET = "test-secret";

Deno.test("the manifest follows Mercado Pago's documented template", () => {
  assert.equal(
    buildManifest("123", "req-1", "1700000000"),
    "id:123;request-id:req-1;ts:1700000000;",
  );
  assert.equal(buildManifest("ABC9", undefined, "1"), "id:abc9;ts:1;");
});

Deno.test("a signature computed as Mercado Pago documents it is accepted", async () => {
  const ts = Math.floor(Date.now() / 1000);
  const v1 = createHmac("sha256", SECRET).update(`id:42;request-id:r1;ts:${ts};`).digest("hex");
  const input = { xSignature: `ts=${ts},v1=${v1}`, xRequestId: "r1", dataId: "42" };
  assert.equal(await checkWebhookSignature(input, SECRET), undefined);
});

Deno.test("forged, missing, malformed and stale signatures are refused", async () => {
  const signed = await signWebhook(SECRET, "42", "r1");
  const base = { xSignature: signed["x-signature"], xRequestId: "r1", dataId: "42" };
  assert.equal(await checkWebhookSignature(base, SECRET), undefined);
  assert.equal(await checkWebhookSignature(base, "other-secret"), "mismatch");
  assert.equal(await checkWebhookSignature({ ...base, dataId: "43" }, SECRET), "mismatch");
  assert.equal(await checkWebhookSignature({ ...base, xRequestId: "r2" }, SECRET), "mismatch");
  assert.equal(await checkWebhookSignature({ ...base, xSignature: undefined }, SECRET), "missing");
  assert.equal(await checkWebhookSignature({ ...base, xSignature: "v1=abc" }, SECRET), "malformed");
  const old = await signWebhook(SECRET, "42", "r1", Math.floor(Date.now() / 1000) - 3600);
  assert.equal(
    await checkWebhookSignature({ ...base, xSignature: old["x-signature"] }, SECRET),
    "stale",
  );
});
