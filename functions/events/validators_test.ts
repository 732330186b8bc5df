import assert from "node:assert/strict";
import {
  decodeCursor,
  encodeCursor,
  isIanaTimeZone,
  isIsoCurrency,
  slugify,
} from "./validators.ts";

Deno.test("IANA time zones: canonical names and aliases, not offsets or made-up zones", () => {
  for (
    const zone of ["UTC", "America/Buenos_Aires", "America/Argentina/Buenos_Aires", "Europe/Kyiv"]
  ) {
    assert.equal(isIanaTimeZone(zone), true, zone);
  }
  for (const zone of ["+03:00", "Mars/Olympus", "america/buenos_aires", "", "UTC/../etc"]) {
    assert.equal(isIanaTimeZone(zone), false, zone);
  }
});

Deno.test("ISO 4217 currencies", () => {
  assert.deepEqual(["ARS", "USD", "EUR", "BRL"].map(isIsoCurrency), [true, true, true, true]);
  assert.deepEqual(["ars", "ARX", "AR", "ARSS"].map(isIsoCurrency), [false, false, false, false]);
});

Deno.test("slugify drops accents and symbols", () => {
  assert.equal(slugify("  Noche de Tangó — Año Nuevo!  "), "noche-de-tango-ano-nuevo");
  assert.equal(slugify("¡¿!?"), "");
  assert.ok(slugify("a ".repeat(200)).length <= 120);
  assert.ok(!slugify("a ".repeat(200)).endsWith("-"));
});

Deno.test("cursors round-trip with microseconds and reject anything else", () => {
  const cursor = { at: "2027-01-01T10:00:00.123457Z", id: crypto.randomUUID() };
  const text = encodeCursor(cursor);
  assert.match(text, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeCursor(text), cursor);
  const forged = [
    "",
    "bm9wZQ",
    btoa(JSON.stringify(["2027-01-01", cursor.id])),
    btoa(JSON.stringify(["2027-01-01T10:00:00Z", "not-a-uuid"])),
    btoa(JSON.stringify({ s: cursor.at, i: cursor.id })),
    text + "!",
  ];
  for (const bad of forged) assert.equal(decodeCursor(bad), undefined, bad);
});
