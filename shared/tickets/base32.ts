/**
 * RFC 4648 base32 without padding. Its alphabet (A–Z, 2–7) is a subset of the
 * QR alphanumeric set, so a QR stores each character in 5.5 bits instead of 8.
 */
import type { Bytes } from "../bytes.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const VALUES = new Map([...ALPHABET].map((char, index) => [char, index]));

export function encodeBase32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes canonical unpadded base32 (upper or lower case), or returns
 * undefined: a character outside the alphabet, an impossible length or
 * non-zero trailing bits (so one byte string has exactly one text form).
 */
export function decodeBase32(text: string): Bytes | undefined {
  const byteLength = Math.floor((text.length * 5) / 8);
  if (encodedLength(byteLength) !== text.length) return undefined;
  const out: Bytes = new Uint8Array(byteLength);
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of text.toUpperCase()) {
    const value = VALUES.get(char);
    if (value === undefined) return undefined;
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out[index++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

/** Characters `encodeBase32` produces for `byteLength` bytes. */
export function encodedLength(byteLength: number): number {
  return Math.ceil((byteLength * 8) / 5);
}
