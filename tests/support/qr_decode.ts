/** Reads a QR code back out of a PNG, as a phone camera would (pngjs + jsQR). */
import { PNG } from "pngjs";
import jsQRModule from "jsqr";
import { Buffer } from "node:buffer";

// jsqr is CommonJS with `export default` in its types: Deno sees the module object.
type JsQr = (
  data: Uint8ClampedArray,
  width: number,
  height: number,
) => { data: string } | null;
const jsQR: JsQr = (jsQRModule as unknown as { default?: JsQr }).default ??
  (jsQRModule as unknown as JsQr);

export function decodeQrPng(png: Uint8Array): string {
  const image = PNG.sync.read(Buffer.from(png));
  const pixels = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length);
  const found = jsQR(pixels, image.width, image.height);
  if (!found) throw new Error("no QR code found in the image");
  return found.data;
}
