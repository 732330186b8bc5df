/**
 * SendGrid v3 `POST /v3/mail/send` with plain fetch (the SDK is Node-only).
 * 202 = accepted; 429 = wait for the reset the headers give; 5xx, 401/403
 * (a revoked or wrong key is the provider being unusable, not the mail being
 * bad), timeouts and network errors = retry; any other 4xx = permanent.
 */
import { encodeBase64 } from "./base64.ts";
import type { MailMessage, MailTransport, SendResult } from "./types.ts";

export const SENDGRID_DEFAULT_BASE_URL = "https://api.sendgrid.com";

export interface SendgridOptions {
  apiKey: string;
  from: string;
  baseUrl?: string;
  /**
   * A hung connection must not hold a dispatcher's lease, nor the test-email request
   * past its deadline; SendGrid answers in < 1 s.
   */
  timeoutMs?: number;
  now?: () => number;
}

// Bounds for a server-given wait: never hammer, never park mail for hours.
const MIN_RATE_LIMIT_WAIT_MS = 1000;
const MAX_RATE_LIMIT_WAIT_MS = 15 * 60 * 1000;

export function createSendgridTransport(options: SendgridOptions): MailTransport {
  const { apiKey, from, baseUrl = SENDGRID_DEFAULT_BASE_URL, timeoutMs = 5_000 } = options;
  const now = options.now ?? Date.now;
  const url = new URL("/v3/mail/send", baseUrl);
  return {
    name: "sendgrid",
    async send(message: MailMessage): Promise<SendResult> {
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
          body: JSON.stringify(sendgridPayload(message, from)),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const timedOut = error instanceof DOMException && error.name === "TimeoutError";
        const reason = timedOut ? `timed out after ${timeoutMs} ms` : describe(error);
        return { outcome: "retry", status: undefined, error: `sendgrid: ${reason}` };
      }
      return await classify(response, now());
    },
  };
}

async function classify(response: Response, nowMs: number): Promise<SendResult> {
  const status = response.status;
  if (status === 202 || status === 200) {
    await response.body?.cancel();
    return {
      outcome: "sent",
      status,
      messageId: response.headers.get("x-message-id") ?? undefined,
    };
  }
  const error = `sendgrid ${status}: ${(await response.text().catch(() => "")).slice(0, 400)}`;
  if (status === 429) {
    return {
      outcome: "retry",
      status,
      error,
      retryAfterMs: rateLimitWaitMs(response.headers, nowMs),
    };
  }
  if (status >= 500 || status === 401 || status === 403 || status === 408) {
    return { outcome: "retry", status, error };
  }
  return { outcome: "failed", status, error };
}

/** Milliseconds until SendGrid accepts again: Retry-After, else X-RateLimit-Reset (epoch s). */
export function rateLimitWaitMs(headers: Headers, nowMs: number): number {
  const retryAfter = headers.get("retry-after");
  const reset = headers.get("x-ratelimit-reset");
  let wait: number | undefined;
  if (retryAfter && /^\d+$/.test(retryAfter.trim())) wait = Number(retryAfter) * 1000;
  else if (retryAfter && !Number.isNaN(Date.parse(retryAfter))) {
    wait = Date.parse(retryAfter) - nowMs;
  } else if (reset && /^\d+$/.test(reset.trim())) wait = Number(reset) * 1000 - nowMs;
  return Math.min(MAX_RATE_LIMIT_WAIT_MS, Math.max(MIN_RATE_LIMIT_WAIT_MS, wait ?? 60_000));
}

/** The v3 body: text/plain must precede text/html, attachments are base64. */
export function sendgridPayload(message: MailMessage, from: string) {
  return {
    personalizations: [{ to: [{ email: message.to }] }],
    from: parseAddress(from),
    subject: message.subject,
    content: [
      { type: "text/plain", value: message.text },
      { type: "text/html", value: message.html },
    ],
    ...(message.attachments?.length
      ? {
        attachments: message.attachments.map((a) => ({
          content: encodeBase64(a.content),
          filename: a.filename,
          type: a.type,
          disposition: a.disposition,
          ...(a.content_id ? { content_id: a.content_id } : {}),
        })),
      }
      : {}),
    ...(message.customArgs ? { custom_args: message.customArgs } : {}),
  };
}

/** `Name <addr@host>` or `addr@host` → SendGrid's `{ email, name? }`. */
export function parseAddress(value: string): { email: string; name?: string } {
  const match = value.match(/^\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/);
  if (!match) return { email: value.trim() };
  const name = match[1].replace(/^"|"$/g, "");
  return name ? { email: match[2], name } : { email: match[2] };
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}
