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

/**
 * Reads a QR code back out of the SVG `qrcode` writes (a `viewBox` of N×N
 * modules and one stroked path of horizontal runs: `M x y.5` / `m dx dy` moves,
 * `h n` draws n dark modules): paints the runs into a PNG, then decodes that.
 */
export function decodeQrSvg(svg: string): string {
  const size = Number(svg.match(/viewBox="0 0 (\d+) \1"/)?.[1]);
  const path = svg.match(/<path[^>]*stroke="#000000"[^>]*\sd="([^"]+)"/)?.[1];
  if (!size || !path) throw new Error("not an SVG QR code from qrcode");
  const scale = 8;
  const image = new PNG({ width: size * scale, height: size * scale });
  image.data.fill(255);
  let x = 0;
  let y = 0;
  for (const [, command, a, b] of path.matchAll(/([Mmh])(-?[\d.]+)(?:\s+(-?[\d.]+))?/g)) {
    const [n, m] = [Number(a), Number(b)];
    if (command === "M") [x, y] = [n, m];
    else if (command === "m") [x, y] = [x + n, y + m];
    else {
      paintRun(image, Math.floor(y), x, x + n, scale);
      x += n;
    }
  }
  return decodeQrPng(PNG.sync.write(image));
}

function paintRun(image: PNG, row: number, from: number, to: number, scale: number): void {
  for (let py = row * scale; py < (row + 1) * scale; py++) {
    for (let px = from * scale; px < to * scale; px++) {
      const offset = (py * image.width + px) * 4;
      image.data.fill(0, offset, offset + 3);
    }
  }
}
