/** QR images of ticket codes, rendered with `qrcode` at error correction M. */
import QRCode from "qrcode";

export type QrFormat = "svg" | "png";

// M survives ~15% damage (a scuffed phone screen or print) and keeps codes at version 7.
export const QR_OPTIONS = { errorCorrectionLevel: "M", margin: 2 } as const;

/** The QR version `qrcode` picks for a code (a ticket code is 7). */
export function qrVersion(code: string): number {
  return QRCode.create(code, QR_OPTIONS).version;
}

/** SVG text or PNG bytes of the code's QR. */
export async function renderQr(code: string, format: "svg"): Promise<string>;
export async function renderQr(code: string, format: "png"): Promise<Uint8Array>;
export async function renderQr(code: string, format: QrFormat): Promise<string | Uint8Array>;
export async function renderQr(code: string, format: QrFormat): Promise<string | Uint8Array> {
  if (format === "svg") return await QRCode.toString(code, { ...QR_OPTIONS, type: "svg" });
  const png = await QRCode.toBuffer(code, { ...QR_OPTIONS, type: "png", scale: 8 });
  return new Uint8Array(png);
}
