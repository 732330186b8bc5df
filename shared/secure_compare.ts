/** Comparing secrets without leaking, through timing, how much of them matched. */
const encoder = new TextEncoder();

/**
 * Equality that takes the same time wherever the strings differ: both sides
 * are hashed first, so neither the length nor a matching prefix leaks.
 */
export async function timingSafeEqual(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  const x = new Uint8Array(ha);
  const y = new Uint8Array(hb);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/** Whether `value` equals one of `candidates`; every candidate is compared, whatever matched. */
export async function matchesAny(value: string, candidates: readonly string[]): Promise<boolean> {
  const results = await Promise.all(candidates.map((c) => timingSafeEqual(value, c)));
  return results.includes(true);
}
