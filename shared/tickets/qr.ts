/**
 * QR images of ticket codes, rendered with `qrcode` at error correction M.
 * `qrcode` (and its dependencies) is loaded on first use, not at boot: most
 * requests of the functions that import this never draw a QR (cold start).
 */
import { type Bytes, toBytes } from "../bytes.ts";

const qrcode = async () => (await import("qrcode")).default;

export type QrFormat = "svg" | "png";

// M survives ~15% damage (a scuffed phone screen or print) and keeps codes at version 7.
export const QR_OPTIONS = { errorCorrectionLevel: "M", margin: 2 } as const;

/** The QR version `qrcode` picks for a code (a ticket code is 7). */
export async function qrVersion(code: string): Promise<number> {
  return (await qrcode()).create(code, QR_OPTIONS).version;
}

/**
 * SVG text or PNG bytes of the code's QR. A code's image never changes (the
 * signature is deterministic), and a PNG costs ~19 ms of CPU: rendered images
 * are kept in-process, the most recently used first, so a repeat is free.
 */
export async function renderQr(code: string, format: "svg"): Promise<string>;
export async function renderQr(code: string, format: "png"): Promise<Bytes>;
export async function renderQr(code: string, format: QrFormat): Promise<string | Bytes>;
export function renderQr(code: string, format: QrFormat): Promise<string | Bytes> {
  const key = `${format}\n${code}`;
  const hit = rendered.get(key);
  if (hit) {
    rendered.delete(key); // re-inserted: Map order is the LRU order
    rendered.set(key, hit);
    stats.hits++;
    return hit;
  }
  const image = draw(code, format);
  rendered.set(key, image);
  image.catch(() => rendered.delete(key));
  if (rendered.size > MAX_RENDERED) rendered.delete(rendered.keys().next().value!);
  return image;
}

// ~5 KB a PNG: a few MB at most, and a busy event's tickets mostly fit.
const MAX_RENDERED = 1000;
const rendered = new Map<string, Promise<string | Bytes>>();
const stats = { renders: 0, hits: 0 };

/** How many images were drawn and how many came from the cache (for tests). */
export const qrRenderStats = (): Readonly<typeof stats> => ({ ...stats });

async function draw(code: string, format: QrFormat): Promise<string | Bytes> {
  stats.renders++;
  const QRCode = await qrcode();
  if (format === "svg") return await QRCode.toString(code, { ...QR_OPTIONS, type: "svg" });
  const png = await QRCode.toBuffer(code, { ...QR_OPTIONS, type: "png", scale: 8 });
  return toBytes(png);
}
