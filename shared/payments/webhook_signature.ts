/**
 * Mercado Pago's webhook signature: `x-signature: ts=<unix>,v1=<hex>` where v1
 * is HMAC-SHA256(secret, "id:<data.id>;request-id:<x-request-id>;ts:<ts>;").
 * Pairs whose value is missing are left out of the manifest, as documented;
 * alphanumeric data ids are signed lower-cased.
 */
import { timingSafeEqual } from "../secure_compare.ts";

/**
 * How far a signature's timestamp may be from our clock. Mercado Pago signs
 * each delivery when it sends it; a wider window would only widen replays.
 */
export const MAX_SKEW_SECONDS = 300;

export interface SignatureInput {
  xSignature: string | undefined;
  xRequestId: string | undefined;
  dataId: string | undefined;
}

export type SignatureFailure = "missing" | "malformed" | "mismatch" | "stale";

export function buildManifest(
  dataId: string | undefined,
  requestId: string | undefined,
  ts: string,
) {
  const id = dataId && /^[a-z0-9]+$/i.test(dataId) ? dataId.toLowerCase() : dataId;
  return `${id ? `id:${id};` : ""}${requestId ? `request-id:${requestId};` : ""}ts:${ts};`;
}

async function hmacHex(secret: string, message: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

function parseHeader(header: string): { ts?: string; v1?: string } {
  const parts: Record<string, string> = {};
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) parts[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  return { ts: parts.ts, v1: parts.v1 };
}

/** Timestamps arrive in seconds; some integrations send milliseconds. */
function tsMillis(ts: string): number {
  const n = Number(ts);
  return n > 1e12 ? n : n * 1000;
}

/** undefined when the signature is valid, else why it is not. */
export async function checkWebhookSignature(
  input: SignatureInput,
  secret: string,
  now = Date.now(),
): Promise<SignatureFailure | undefined> {
  if (!input.xSignature?.trim()) return "missing";
  const { ts, v1 } = parseHeader(input.xSignature);
  if (!ts || !v1 || !/^\d{1,16}$/.test(ts) || !/^[0-9a-f]{64}$/i.test(v1)) return "malformed";
  const expected = await hmacHex(secret, buildManifest(input.dataId, input.xRequestId, ts));
  const same = await timingSafeEqual(expected, v1.toLowerCase());
  if (!same) return "mismatch";
  if (Math.abs(now - tsMillis(ts)) > MAX_SKEW_SECONDS * 1000) return "stale";
  return undefined;
}

/** The headers Mercado Pago would send; used by the simulated provider and tests. */
export async function signWebhook(
  secret: string,
  dataId: string,
  requestId: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<{ "x-signature": string; "x-request-id": string }> {
  const ts = String(nowSeconds);
  const v1 = await hmacHex(secret, buildManifest(dataId, requestId, ts));
  return { "x-signature": `ts=${ts},v1=${v1}`, "x-request-id": requestId };
}
