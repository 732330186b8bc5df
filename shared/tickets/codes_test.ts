import assert from "node:assert/strict";
import { CODE_LENGTH, signTicketCode, verifyWithKeyring } from "./codes.ts";
import { decodeBase32, encodeBase32 } from "./base32.ts";
import { generateKeyEntry, parseKeyring } from "./keys.ts";
import { qrVersion, renderQr } from "./qr.ts";

const ref = { ticketId: crypto.randomUUID(), eventId: crypto.randomUUID() };
const keyringOf = async (...entries: Array<Awaited<ReturnType<typeof generateKeyEntry>>>) =>
  await parseKeyring(JSON.stringify(entries));

Deno.test("a signed code round-trips to its ticket, event and key", async () => {
  const keyring = await keyringOf(await generateKeyEntry("k1"));
  const code = await signTicketCode(keyring, ref);
  assert.equal(code.length, CODE_LENGTH);
  assert.equal(CODE_LENGTH, 162);
  assert.match(code, /^[A-Z2-7]+$/);
  assert.deepEqual(verifyWithKeyring(keyring, code), { ...ref, kid: "k1" });
  // Scanners that lower-case or pad with whitespace still verify.
  assert.deepEqual(verifyWithKeyring(keyring, ` ${code.toLowerCase()}\n`), {
    ...ref,
    kid: "k1",
  });
});

Deno.test("a ticket code fits a QR of version 10 or less at error correction M", async () => {
  const keyring = await keyringOf(await generateKeyEntry("k1"));
  const code = await signTicketCode(keyring, ref);
  assert.equal(await qrVersion(code), 7);
  const svg = await renderQr(code, "svg");
  assert.match(svg, /^<svg /);
  const png = await renderQr(code, "png");
  assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
});

Deno.test("after rotation, codes of the retired key still verify and new ones use the new key", async () => {
  const old = await generateKeyEntry("k1");
  const oldCode = await signTicketCode(await keyringOf(old), ref);
  const rotated = await keyringOf({ ...old, active: false }, await generateKeyEntry("k2"));
  assert.equal((verifyWithKeyring(rotated, oldCode))?.kid, "k1");
  const newCode = await signTicketCode(rotated, ref);
  assert.equal((verifyWithKeyring(rotated, newCode))?.kid, "k2");
  // A retired key without its private half verifies too.
  const verifyOnly = await keyringOf(
    { kid: old.kid, public: old.public },
    await generateKeyEntry("k2"),
  );
  assert.equal((verifyWithKeyring(verifyOnly, oldCode))?.kid, "k1");
});

Deno.test("forged codes verify as nothing and never throw", async () => {
  const keyring = await keyringOf(await generateKeyEntry("k1"));
  const code = await signTicketCode(keyring, ref);
  const bytes = decodeBase32(code)!;
  for (let i = 0; i < bytes.length; i++) {
    const flipped = bytes.slice();
    flipped[i] ^= 1 << (i % 8);
    assert.equal(verifyWithKeyring(keyring, encodeBase32(flipped)), undefined, `byte ${i}`);
  }
  const other = await signTicketCode(await keyringOf(await generateKeyEntry("k1")), ref);
  const samples: unknown[] = [
    other, // right layout, someone else's key
    code.slice(0, -1),
    code.slice(0, 100),
    code + "A",
    "",
    "garbage!",
    "x".repeat(10_240),
    "A".repeat(CODE_LENGTH),
    null,
    42,
    { code },
  ];
  for (const sample of samples) assert.equal(verifyWithKeyring(keyring, sample), undefined);
});

Deno.test("the keyring refuses bad TICKET_SIGNING_KEYS values", async () => {
  const [a, b] = [await generateKeyEntry("k1"), await generateKeyEntry("k2")];
  const rejects = (value: unknown, pattern: RegExp) =>
    assert.rejects(parseKeyring(JSON.stringify(value)), pattern);
  await rejects([], /TICKET_SIGNING_KEYS/);
  await rejects([a, b], /exactly one key must be active/);
  await rejects([{ ...a, active: false }], /exactly one key must be active/);
  await rejects([{ kid: "k1", public: a.public, active: true }], /private half/);
  await rejects([{ ...a, public: b.public }], /does not match/);
  await rejects([a, { ...a, kid: "k9", active: false }], /unique/);
  await assert.rejects(parseKeyring("not json"), /TICKET_SIGNING_KEYS/);
});
