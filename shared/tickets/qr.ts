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

/** SVG text or PNG bytes of the code's QR. */
export async function renderQr(code: string, format: "svg"): Promise<string>;
export async function renderQr(code: string, format: "png"): Promise<Bytes>;
export async function renderQr(code: string, format: QrFormat): Promise<string | Bytes>;
export async function renderQr(code: string, format: QrFormat): Promise<string | Bytes> {
  const QRCode = await qrcode();
  if (format === "svg") return await QRCode.toString(code, { ...QR_OPTIONS, type: "svg" });
  const png = await QRCode.toBuffer(code, { ...QR_OPTIONS, type: "png", scale: 8 });
  return toBytes(png);
}
