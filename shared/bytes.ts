/**
 * Bytes backed by a plain ArrayBuffer, spelled so both compilers accept it:
 * TypeScript ≥ 5.7 (Deno 2.9) reads it as `Uint8Array<ArrayBuffer>` (what
 * WebCrypto and `Response` bodies require), TypeScript 5.6 (Deno 2.1.4, the
 * Supabase Edge Runtime) as plain `Uint8Array`, which has no type parameter
 * there (writing `Uint8Array<ArrayBuffer>` is error TS2315 on 2.1.4).
 */
const allocate = (length: number) => new Uint8Array(length);
export type Bytes = ReturnType<typeof allocate>;

/** A copy of `bytes` in a fresh ArrayBuffer. */
export function toBytes(bytes: ArrayLike<number>): Bytes {
  const out = allocate(bytes.length);
  out.set(bytes);
  return out;
}
