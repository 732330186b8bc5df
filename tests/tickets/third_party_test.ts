/**
 * A scanner app built by someone else: it knows only the README's layout and
 * the public keys from GET /tickets/keys, and verifies with plain WebCrypto.
 * Nothing from shared/tickets is imported on purpose.
 */
import assert from "node:assert/strict";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callers } from "../support/callers.ts";
import { makeTicket } from "../support/ticket_builders.ts";
import { createTicketsApp } from "../../functions/tickets/routes.ts";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32Decode(text: string) {
  let bits = "";
  for (const char of text) bits += BASE32.indexOf(char).toString(2).padStart(5, "0");
  const bytes = new Uint8Array(Math.floor(bits.length / 8));
  bytes.forEach((_, i) => (bytes[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2)));
  return bytes;
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const uuid = (b: Uint8Array) =>
  hex(b).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
const base64UrlDecode = (text: string) =>
  Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));

/** Layout v1: version(1) key_id(4) ticket(16) event(16) | Ed25519 signature(64) over bytes 0..36. */
async function scannerVerify(code: string, keys: Array<{ key_id: string; public_key: string }>) {
  const bytes = base32Decode(code);
  if (bytes.length !== 101 || bytes[0] !== 1) return undefined;
  const key = keys.find((k) => k.key_id === hex(bytes.subarray(1, 5)));
  if (!key) return undefined;
  const publicKey = await crypto.subtle.importKey(
    "raw",
    base64UrlDecode(key.public_key),
    { name: "Ed25519" },
    false,
    ["verify"],
  );
  const ok = await crypto.subtle.verify(
    { name: "Ed25519" },
    publicKey,
    bytes.subarray(37),
    bytes.subarray(0, 37),
  );
  return ok
    ? { ticket: uuid(bytes.subarray(5, 21)), event: uuid(bytes.subarray(21, 37)) }
    : undefined;
}

dbTest("a code verifies with nothing but the published public key", async () => {
  const { sql } = await setupHarness();
  const ticket = await makeTicket(sql);
  const as = callers(createTicketsApp());
  const published = await as.asAnon().get("/tickets/keys");
  assert.equal(published.status, 200);
  const { code } = (await (await as.as(ticket.owner)).get(`/tickets/${ticket.id}`)).body;
  assert.deepEqual(await scannerVerify(code, published.body.keys), {
    ticket: ticket.id,
    event: ticket.eventId,
  });
  // One flipped signature bit and the scanner app refuses it too.
  const last = BASE32[(BASE32.indexOf(code.at(-2)) + 1) % 32];
  assert.equal(
    await scannerVerify(code.slice(0, -2) + last + code.at(-1), published.body.keys),
    undefined,
  );
  // The sync carries the same keys for scanners that are offline later.
  const scanner = await as.asScanner(ticket.eventId);
  const sync = await scanner.get(`/tickets/events/${ticket.eventId}/scanner-sync`);
  assert.deepEqual(sync.body.keys, published.body.keys);
});
