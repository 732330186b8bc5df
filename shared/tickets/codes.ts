/**
 * Signed ticket codes (what a ticket's QR carries), layout version 1:
 *
 *   offset  size  field
 *        0     1  version, 0x01
 *        1     4  key id: first 4 bytes of SHA-256(raw Ed25519 public key)
 *        5    16  ticket id (UUID, RFC 4122 byte order)
 *       21    16  event id  (UUID)
 *       37    64  Ed25519 signature over bytes 0..36
 *
 * 101 bytes, written as unpadded RFC 4648 base32 (162 characters, QR
 * alphanumeric mode: version 7 at error correction M). The README documents
 * this for third-party scanners; change it only with a new version byte.
 */
import { decodeBase32, encodeBase32, encodedLength } from "./base32.ts";
import { type Keyring, type TicketKey, ticketKeys } from "./keys.ts";
import { isUuid } from "../uuid.ts";

export const CODE_VERSION = 1;
const SIGNED_BYTES = 37;
const SIGNATURE_BYTES = 64;
export const CODE_BYTES = SIGNED_BYTES + SIGNATURE_BYTES;
export const CODE_LENGTH = encodedLength(CODE_BYTES);
const ED25519 = { name: "Ed25519" } as const;

export interface TicketRef {
  ticketId: string;
  eventId: string;
}

export interface VerifiedCode extends TicketRef {
  kid: string;
}

export function uuidToBytes(uuid: string): Uint8Array {
  if (!isUuid(uuid)) throw new TypeError(`not a UUID: ${uuid}`);
  const hex = uuid.replaceAll("-", "");
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

export function bytesToUuid(bytes: Uint8Array): string {
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/** Signs a code for a ticket with the keyring's active key. */
export async function signTicketCode(keyring: Keyring, ref: TicketRef): Promise<string> {
  const key = keyring.active;
  const bytes = new Uint8Array(CODE_BYTES);
  bytes[0] = CODE_VERSION;
  bytes.set(key.keyId, 1);
  bytes.set(uuidToBytes(ref.ticketId), 5);
  bytes.set(uuidToBytes(ref.eventId), 21);
  const signed = bytes.subarray(0, SIGNED_BYTES);
  const signature = await crypto.subtle.sign(ED25519, key.privateKey!, signed);
  bytes.set(new Uint8Array(signature), SIGNED_BYTES);
  return encodeBase32(bytes);
}

/** The code for a ticket, signed with the active key of TICKET_SIGNING_KEYS. */
export async function issueTicketCode(ref: TicketRef): Promise<string> {
  return await signTicketCode(await ticketKeys(), ref);
}

function keyFor(keyring: Keyring, keyId: Uint8Array): TicketKey | undefined {
  return keyring.keys.find((key) => key.keyId.every((byte, i) => byte === keyId[i]));
}

/**
 * The ticket and event a code was signed for, or undefined for anything that
 * is not a code we signed (bad text, unknown version or key, bad signature).
 * Never throws, whatever the input.
 */
export function verifyWithKeyring(keyring: Keyring, code: unknown): VerifiedCode | undefined {
  if (typeof code !== "string" || code.length > CODE_LENGTH + 8) return undefined;
  const bytes = decodeBase32(code.trim());
  if (!bytes || bytes.length !== CODE_BYTES || bytes[0] !== CODE_VERSION) return undefined;
  const key = keyFor(keyring, bytes.subarray(1, 5));
  if (!key) return undefined;
  try {
    if (!key.verify(bytes.subarray(0, SIGNED_BYTES), bytes.subarray(SIGNED_BYTES))) {
      return undefined;
    }
  } catch {
    return undefined;
  }
  return {
    ticketId: bytesToUuid(bytes.subarray(5, 21)),
    eventId: bytesToUuid(bytes.subarray(21, 37)),
    kid: key.kid,
  };
}

/** Verifies a code against TICKET_SIGNING_KEYS (every key, active or retired). */
export async function verifyTicketCode(code: unknown): Promise<VerifiedCode | undefined> {
  return verifyWithKeyring(await ticketKeys(), code);
}
