/**
 * The transport in use, chosen from config at each call (not at import), so
 * tests can point SENDGRID_BASE_URL at a fake server with resetConfigForTests.
 */
import { config } from "../config.ts";
import { CircuitBreaker } from "../circuit_breaker.ts";
import { log } from "../log.ts";
import { loggingTransport } from "./logging_transport.ts";
import { createSendgridTransport, SENDGRID_DEFAULT_BASE_URL } from "./sendgrid.ts";
import type { MailTransport } from "./types.ts";

export function mailTransport(): MailTransport {
  const { SENDGRID_API_KEY, SENDGRID_BASE_URL, EMAIL_FROM } = config();
  if (!SENDGRID_API_KEY) return loggingTransport;
  return createSendgridTransport({
    apiKey: SENDGRID_API_KEY,
    from: EMAIL_FROM,
    baseUrl: SENDGRID_BASE_URL ?? SENDGRID_DEFAULT_BASE_URL,
  });
}

let breaker: CircuitBreaker | undefined;

/**
 * The process-wide breaker around SendGrid: 5 consecutive failures open it
 * for 30 s, so an outage costs a handful of calls per isolate, not one per mail.
 */
export function mailBreaker(): CircuitBreaker {
  breaker ??= new CircuitBreaker({
    name: "sendgrid",
    failureThreshold: 5,
    cooldownMs: 30_000,
    onStateChange: (from, to, name) => log.warn("circuit breaker", { breaker: name, from, to }),
  });
  return breaker;
}
