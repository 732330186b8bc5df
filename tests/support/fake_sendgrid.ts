/**
 * A fake SendGrid v3 API on 127.0.0.1 (port 0) that the real sender talks to
 * over HTTP. It checks the bearer key and the body's shape, records every
 * call, and answers per the current mode: 202, 429 with reset headers, a 5xx,
 * or a hang (until the client gives up or the server closes).
 */

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments: Array<
    { content: string; filename: string; type: string; disposition: string; content_id?: string }
  >;
  custom_args?: Record<string, string>;
}

export type FakeMode =
  | { kind: "accept"; delayMs?: number }
  | { kind: "fail"; status: number }
  | { kind: "rate_limit"; resetInSeconds: number }
  | { kind: "hang" };

export interface FakeSendgrid {
  url: string;
  apiKey: string;
  /** Every call, in arrival order, with the status the fake answered. */
  calls: Array<{ status: number | "hang"; mail?: ReceivedMail }>;
  /** Mails answered with 202. */
  accepted(): ReceivedMail[];
  setMode(mode: FakeMode): void;
  close(): Promise<void>;
}

export function startFakeSendgrid(apiKey = "SG.test"): FakeSendgrid {
  let mode: FakeMode = { kind: "accept" };
  const calls: FakeSendgrid["calls"] = [];
  const hanging = new Set<() => void>();
  let counter = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (req.method !== "POST" || url.pathname !== "/v3/mail/send") {
      return Response.json({ errors: [{ message: "not found" }] }, { status: 404 });
    }
    if (req.headers.get("authorization") !== `Bearer ${apiKey}`) {
      return Response.json({ errors: [{ message: "bad key" }] }, { status: 401 });
    }
    const mail = parseMail(await req.json().catch(() => null));
    if (!mail) return Response.json({ errors: [{ message: "bad body" }] }, { status: 400 });
    const current = mode;
    if (current.kind === "hang") {
      calls.push({ status: "hang", mail });
      // Held until close(): the client's own timeout is what the test exercises.
      await new Promise<void>((resolve) => hanging.add(resolve));
      return new Response(null, { status: 504 });
    }
    if (current.kind === "fail") {
      calls.push({ status: current.status, mail });
      return Response.json({ errors: [{ message: "upstream trouble" }] }, {
        status: current.status,
      });
    }
    if (current.kind === "rate_limit") {
      calls.push({ status: 429, mail });
      const reset = Math.floor(Date.now() / 1000) + current.resetInSeconds;
      return Response.json({ errors: [{ message: "too many requests" }] }, {
        status: 429,
        headers: {
          "x-ratelimit-limit": "600",
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": String(reset),
        },
      });
    }
    calls.push({ status: 202, mail });
    if (current.delayMs) await new Promise((resolve) => setTimeout(resolve, current.delayMs));
    return new Response(null, { status: 202, headers: { "x-message-id": `fake-${++counter}` } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    apiKey,
    calls,
    accepted: () => calls.filter((c) => c.status === 202).map((c) => c.mail!),
    setMode: (next) => {
      mode = next;
    },
    close: async () => {
      for (const release of hanging) release();
      await server.shutdown();
    },
  };
}

/** The subset of the v3 body we send; null when the shape is wrong (the real API says 400). */
// deno-lint-ignore no-explicit-any
function parseMail(body: any): ReceivedMail | null {
  const to = body?.personalizations?.[0]?.to?.[0]?.email;
  const content = Array.isArray(body?.content) ? body.content : [];
  if (typeof to !== "string" || typeof body?.subject !== "string" || !body?.from?.email) {
    return null;
  }
  // SendGrid requires text/plain before text/html.
  if (content[0]?.type !== "text/plain" || content[1]?.type !== "text/html") return null;
  return {
    to,
    subject: body.subject,
    text: content[0].value,
    html: content[1].value,
    attachments: body.attachments ?? [],
    custom_args: body.custom_args,
  };
}
