/**
 * The TICKET_SIGNING_KEYS format and the checks that need no crypto: JSON, a
 * non-empty list, exactly one active key with its private half, unique kids,
 * decodable Ed25519 keys. Synchronous, so production config refuses a broken
 * value at boot; keys.ts imports the keys and checks each pair on first use.
 */
import { z } from "zod";

export const KeyEntry = z.object({
  kid: z.string().regex(/^[\w.-]{1,32}$/),
  private: z.string().min(1).optional(),
  public: z.string().min(1),
  active: z.boolean().default(false),
});
export type KeyEntry = z.input<typeof KeyEntry>;
export type ParsedKeyEntry = z.output<typeof KeyEntry>;
const KeyList = z.array(KeyEntry).min(1);

// OBJECT IDENTIFIER 1.3.101.112 (Ed25519), as every PKCS#8 Ed25519 key carries it.
const ED25519_OID = [0x06, 0x03, 0x2b, 0x65, 0x70];

export function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[\w-]*$/.test(text)) throw new Error("not base64url");
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  return Uint8Array.from(
    atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)),
    (c) => c.charCodeAt(0),
  );
}

function isEd25519Pkcs8(text: string): boolean {
  const der = fromBase64Url(text);
  return der.length >= 48 && der[0] === 0x30 &&
    der.some((_, i) => ED25519_OID.every((byte, j) => der[i + j] === byte));
}

function checkEntry(entry: ParsedKeyEntry): void {
  let publicLength: number;
  try {
    publicLength = fromBase64Url(entry.public).length;
  } catch {
    publicLength = -1;
  }
  if (publicLength !== 32) throw new Error(`key ${entry.kid}: public key must be 32 bytes`);
  if (entry.private === undefined) return;
  let pkcs8 = false;
  try {
    pkcs8 = isEd25519Pkcs8(entry.private);
  } catch { /* not base64url */ }
  if (!pkcs8) throw new Error(`key ${entry.kid}: private key must be an Ed25519 PKCS#8 key`);
}

/** The entries of a TICKET_SIGNING_KEYS value; throws naming the variable and the reason. */
export function readKeyEntries(json: string, variable = "TICKET_SIGNING_KEYS"): ParsedKeyEntry[] {
  try {
    const entries = KeyList.parse(JSON.parse(json));
    entries.forEach(checkEntry);
    const active = entries.filter((entry) => entry.active);
    if (active.length !== 1) throw new Error("exactly one key must be active");
    if (!active[0].private) throw new Error("the active key needs its private half");
    if (new Set(entries.map((e) => e.kid)).size !== entries.length) {
      throw new Error("kids must be unique");
    }
    return entries;
  } catch (error) {
    const reason = error instanceof z.ZodError ? error.issues[0].message : (error as Error).message;
    throw new Error(`Invalid ${variable}: ${reason}`);
  }
}
