/**
 * Waiting-room admission tokens: `<payload>.<signature>`, both base64url, the
 * payload a small JSON object (event, user, token id, expiry, key id), signed
 * with Ed25519.
 *
 * The keys are not the ticket keys: they come from QUEUE_SIGNING_KEYS in the
 * same format, through the same rotation machinery (one active key signs, the
 * others still verify). A separate key means scanners, who hold the ticket
 * public keys, never learn anything about admissions, and rotating one never
 * touches the other. The signed bytes carry a domain prefix anyway.
 */
import { z } from "zod";
import { config } from "../config.ts";
import { DomainError } from "../errors.ts";
import { fromBase64Url, toBase64Url } from "../tickets/key_format.ts";
import { type Keyring, loadNamedKeyring } from "../tickets/keys.ts";

const DOMAIN = "crodify.admission.v1.";
const MAX_TOKEN_CHARS = 512;

export interface Admission {
  eventId: string;
  userId: string;
  /** Unique per admission (place and admission time): what single use is keyed on. */
  tokenId: string;
  /** Unix seconds. */
  expiresAt: number;
}

const Payload = z.object({
  e: z.uuid(),
  u: z.uuid(),
  t: z.string().regex(/^[\w.-]{1,64}$/),
  x: z.number().int().positive(),
  k: z.string().regex(/^[0-9a-f]{8}$/),
});

let keyring: Promise<Keyring> | undefined;

/** The admission keyring, loaded once from QUEUE_SIGNING_KEYS (or the dev key file). */
export function admissionKeys(): Promise<Keyring> {
  const settings = config();
  keyring ??= loadNamedKeyring(
    "QUEUE_SIGNING_KEYS",
    settings.QUEUE_SIGNING_KEYS,
    settings.QUEUE_KEY_FILE,
    settings.isProduction,
  ).catch((error) => {
    keyring = undefined;
    throw error;
  });
  return keyring;
}

/** Swaps the keyring (tests rotate keys); undefined reloads from config on next use. */
export function setAdmissionKeysForTests(next: Keyring | undefined): void {
  keyring = next ? Promise.resolve(next) : undefined;
}

/** Signs an admission with the active key. */
export async function signAdmission(admission: Admission): Promise<string> {
  const { active } = await admissionKeys();
  const payload = toBase64Url(new TextEncoder().encode(JSON.stringify({
    e: admission.eventId,
    u: admission.userId,
    t: admission.tokenId,
    x: admission.expiresAt,
    k: active.keyIdHex,
  })));
  const signature = await crypto.subtle.sign(
    { name: "Ed25519" },
    active.privateKey!,
    new TextEncoder().encode(DOMAIN + payload),
  );
  return `${payload}.${toBase64Url(new Uint8Array(signature))}`;
}

const refuse = (code: string, message: string) => new DomainError(code, message);

/**
 * The admission a token carries, for this user and event, or a 403:
 * `admission_invalid` (malformed, unknown key, bad signature),
 * `admission_expired`, `admission_wrong_user`, `admission_wrong_event`.
 * Single use is not checked here: the reservation spends the token in SQL.
 */
export async function verifyAdmission(
  token: string,
  expected: { userId: string; eventId: string },
  nowMs = Date.now(),
): Promise<Admission> {
  const invalid = refuse("admission_invalid", "The admission token is not valid");
  const parts = token.length <= MAX_TOKEN_CHARS ? token.split(".") : [];
  if (parts.length !== 2) throw invalid;
  let payload: z.infer<typeof Payload>;
  let signature: Uint8Array;
  try {
    payload = Payload.parse(JSON.parse(new TextDecoder().decode(fromBase64Url(parts[0]))));
    signature = fromBase64Url(parts[1]);
  } catch {
    throw invalid;
  }
  const key = (await admissionKeys()).keys.find((k) => k.keyIdHex === payload.k);
  const signed = new TextEncoder().encode(DOMAIN + parts[0]);
  if (!key || signature.length !== 64 || !key.verify(signed, signature)) throw invalid;
  if (payload.x * 1000 <= nowMs) {
    throw refuse("admission_expired", "The admission token has expired: join the queue again");
  }
  if (payload.u !== expected.userId) {
    throw refuse("admission_wrong_user", "This admission token belongs to another account");
  }
  if (payload.e !== expected.eventId) {
    throw refuse("admission_wrong_event", "This admission token is for another event");
  }
  return { eventId: payload.e, userId: payload.u, tokenId: payload.t, expiresAt: payload.x };
}
