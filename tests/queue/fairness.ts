/**
 * An independent check of the pre-queue's order, the way anyone can once the
 * seed is revealed: sha256(seed) against the published commitment, then sort
 * by the integer value of the first 11 hex digits of sha1(seed + ":" + id),
 * ties by id. Written from the published description, not from the Lua.
 */
const hex = (buffer: ArrayBuffer) =>
  Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

export async function preQueueOrder(seed: string, userIds: string[]): Promise<string[]> {
  const keyed = await Promise.all(userIds.map(async (id) => {
    const digest = hex(
      await crypto.subtle.digest("SHA-1", new TextEncoder().encode(`${seed}:${id}`)),
    );
    return { id, score: parseInt(digest.slice(0, 11), 16) };
  }));
  return keyed.sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((k) => k.id);
}

/** Spearman's rank correlation of two equally long lists of distinct values. */
export function spearman(xs: number[], ys: number[]): number {
  const ranks = (values: number[]) => {
    const order = values.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]);
    const r = new Array<number>(values.length);
    order.forEach(([, i], rank) => r[i] = rank);
    return r;
  };
  const rx = ranks(xs);
  const ry = ranks(ys);
  const n = xs.length;
  const d2 = rx.reduce((sum, r, i) => sum + (r - ry[i]) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}
