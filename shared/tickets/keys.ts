/**
 * Ed25519 keys that sign ticket codes. TICKET_SIGNING_KEYS holds several keys
 * (exactly one active signs; the others still verify, so keys rotate without
 * reissuing tickets). Outside production, when it is unset, one key is
 * generated on first use and kept in TICKET_KEY_FILE; production refuses that.
 *
 * `deno run -A shared/tickets/keys.ts [kid]` prints a new key entry.
 */
import {
  fromBase64Url,
  type KeyEntry,
  type ParsedKeyEntry,
  readKeyEntries,
  toBase64Url,
} from "./key_format.ts";
import { config } from "../config.ts";
import { log } from "../log.ts";

export type { KeyEntry };

export interface TicketKey {
  kid: string;
  /** 4 bytes carried in every code: the first bytes of SHA-256(raw public key). */
  keyId: Uint8Array;
  keyIdHex: string;
  publicRaw: Uint8Array;
  /**
   * Whether `signature` is this key's Ed25519 signature of `data`. node:crypto's
   * synchronous verify, not WebCrypto's: about half the cost per scan
   * (measured here: 60 µs vs 110 µs for `crypto.subtle.verify`).
   */
  verify(data: Uint8Array, signature: Uint8Array): boolean;
  privateKey?: CryptoKey;
  active: boolean;
}

export interface Keyring {
  active: TicketKey;
  keys: TicketKey[];
}

/** One key as published to scanners (GET /tickets/keys, scanner-sync). */
export interface PublicKeyInfo {
  kid: string;
  key_id: string;
  alg: "Ed25519";
  public_key: string;
  active: boolean;
}

const ED25519 = { name: "Ed25519" } as const;
export const KEY_ID_BYTES = 4;

const toHex = (bytes: Uint8Array) =>
  [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** The 4-byte key id of a raw Ed25519 public key. */
export async function keyIdOf(publicRaw: Uint8Array): Promise<Uint8Array> {
  const digest = await crypto.subtle.digest("SHA-256", publicRaw as BufferSource);
  return new Uint8Array(digest).slice(0, KEY_ID_BYTES);
}

/** A fresh key entry in the TICKET_SIGNING_KEYS format. */
export async function generateKeyEntry(kid: string, active = true): Promise<KeyEntry> {
  const pair = await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"]) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { kid, private: toBase64Url(pkcs8), public: toBase64Url(raw), active };
}

async function importEntry(entry: ParsedKeyEntry): Promise<TicketKey> {
  const publicRaw = fromBase64Url(entry.public);
  const verify = await verifierOf(publicRaw);
  const privateKey = entry.private
    ? await crypto.subtle.importKey(
      "pkcs8",
      fromBase64Url(entry.private) as BufferSource,
      ED25519,
      false,
      [
        "sign",
      ],
    )
    : undefined;
  if (privateKey) await assertPair(entry.kid, privateKey, verify);
  const keyId = await keyIdOf(publicRaw);
  return {
    kid: entry.kid,
    keyId,
    keyIdHex: toHex(keyId),
    publicRaw,
    verify,
    privateKey,
    active: entry.active,
  };
}

async function verifierOf(publicRaw: Uint8Array): Promise<TicketKey["verify"]> {
  // Loaded on first use, not at boot: node:crypto costs ~40 ms to load (postgres.js loads it too).
  const { createPublicKey, verify } = await import("node:crypto");
  const key = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: toBase64Url(publicRaw) },
    format: "jwk",
  });
  return (data, signature) => verify(null, data, key, signature);
}

// A private key that does not match its public half would sign codes nobody can verify.
async function assertPair(kid: string, privateKey: CryptoKey, verify: TicketKey["verify"]) {
  const probe = new TextEncoder().encode("crodify-ticket-key-check");
  const signature = new Uint8Array(await crypto.subtle.sign(ED25519, privateKey, probe));
  if (!verify(probe, signature)) {
    throw new Error(`key ${kid}: the private key does not match the public key`);
  }
}

/** Parses and checks a keyring value (TICKET_SIGNING_KEYS by default); throws naming the variable. */
export async function parseKeyring(
  json: string,
  variable = "TICKET_SIGNING_KEYS",
): Promise<Keyring> {
  const entries = readKeyEntries(json, variable);
  try {
    const keys = await Promise.all(entries.map(importEntry));
    const active = keys.find((key) => key.active)!;
    if (new Set(keys.map((k) => k.keyIdHex)).size !== keys.length) {
      throw new Error("key ids must be unique");
    }
    return { active, keys };
  } catch (error) {
    throw new Error(`Invalid ${variable}: ${(error as Error).message}`);
  }
}

/**
 * The dev key file: read it, or create it once. Written to a temp file and
 * hard-linked into place, so two processes starting together never read a
 * half-written file and both end up with the one key that won.
 */
async function devKeyringJson(file: string, variable: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true });
  const temp = await Deno.makeTempFile({ dir, prefix: ".signing_key_" });
  try {
    await Deno.writeTextFile(temp, JSON.stringify([await generateKeyEntry("dev-1")]));
    await Deno.chmod(temp, 0o600);
    await Deno.link(temp, file);
    log.warn(`${variable} is not set: generated a dev signing key`, { file });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  } finally {
    await Deno.remove(temp);
  }
  return await Deno.readTextFile(file);
}

type KeySettings = { TICKET_SIGNING_KEYS?: string; TICKET_KEY_FILE: string; isProduction: boolean };

/** The keyring from TICKET_SIGNING_KEYS, else (never in production) the dev key file. */
export function loadKeyring(settings: KeySettings = config()): Promise<Keyring> {
  const { TICKET_SIGNING_KEYS, TICKET_KEY_FILE, isProduction } = settings;
  return loadNamedKeyring(
    "TICKET_SIGNING_KEYS",
    TICKET_SIGNING_KEYS,
    TICKET_KEY_FILE,
    isProduction,
  );
}

/**
 * A keyring in this format from any variable (the waiting room's admission
 * keys use it too), else outside production a dev key kept in `file`.
 */
export async function loadNamedKeyring(
  variable: string,
  value: string | undefined,
  file: string,
  isProduction: boolean,
): Promise<Keyring> {
  if (value) return await parseKeyring(value, variable);
  if (isProduction) throw new Error(`${variable} is required in production`);
  return await parseKeyring(await devKeyringJson(file, variable), variable);
}

let keyring: Promise<Keyring> | undefined;

/** The process's keyring, loaded once. */
export function ticketKeys(): Promise<Keyring> {
  keyring ??= loadKeyring(config()).catch((error) => {
    keyring = undefined;
    throw error;
  });
  return keyring;
}

/** Swaps the keyring (tests rotate keys); undefined reloads from config on next use. */
export function setTicketKeysForTests(next: Keyring | undefined): void {
  keyring = next ? Promise.resolve(next) : undefined;
}

/** The verification keys scanners need, active one included. */
export async function publicKeys(): Promise<PublicKeyInfo[]> {
  const { keys } = await ticketKeys();
  return keys.map((key) => ({
    kid: key.kid,
    key_id: key.keyIdHex,
    alg: "Ed25519",
    public_key: toBase64Url(key.publicRaw),
    active: key.active,
  }));
}

if (import.meta.main) {
  console.log(JSON.stringify([await generateKeyEntry(Deno.args[0] ?? "k1")]));
}
