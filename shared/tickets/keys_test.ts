import assert from "node:assert/strict";
import { generateKeyEntry, loadKeyring } from "./keys.ts";

Deno.test("without TICKET_SIGNING_KEYS a dev key is generated once and then reused", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/nested/ticket_key.json`;
  try {
    const settings = { TICKET_KEY_FILE: file, isProduction: false };
    const [first, second] = await Promise.all([loadKeyring(settings), loadKeyring(settings)]);
    const third = await loadKeyring(settings);
    assert.equal(first.active.keyIdHex, second.active.keyIdHex);
    assert.equal(first.active.keyIdHex, third.active.keyIdHex);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("production refuses a generated key; a configured one loads", async () => {
  const file = `${await Deno.makeTempDir()}/never.json`;
  await assert.rejects(
    loadKeyring({ TICKET_KEY_FILE: file, isProduction: true }),
    /TICKET_SIGNING_KEYS is required in production/,
  );
  await assert.rejects(Deno.stat(file), Deno.errors.NotFound);
  const json = JSON.stringify([await generateKeyEntry("prod-1")]);
  const keyring = await loadKeyring({
    TICKET_SIGNING_KEYS: json,
    TICKET_KEY_FILE: file,
    isProduction: true,
  });
  assert.equal(keyring.active.kid, "prod-1");
  assert.match(keyring.active.keyIdHex, /^[0-9a-f]{8}$/);
});
