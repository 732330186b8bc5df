/**
 * What every purchases test needs: the harness, the purchases app, a fake
 * Mercado Pago the real SDK talks to, and callers per role. Config is reset
 * per test because other test files may have changed it.
 */
import { resetConfigForTests } from "../../shared/config.ts";
import { createDevPurchasesApp } from "../../functions/_dev/dev_functions.ts";
import { setupHarness } from "../support/harness.ts";
import { callers } from "../support/callers.ts";
import { type FakeMercadoPago, startFakeMercadoPago } from "../support/fake_mercadopago.ts";
import { makeEvent } from "../support/builders.ts";
import { makeTicketType, type TicketTypeOverrides } from "../support/purchase_builders.ts";

let fake: FakeMercadoPago | undefined;

export async function purchaseEnv(options: { simulated?: boolean } = {}) {
  const harness = await setupHarness();
  fake ??= startFakeMercadoPago();
  fake.reset();
  resetConfigForTests({
    ...harness.env,
    MERCADOPAGO_ACCESS_TOKEN: options.simulated ? undefined : "TEST-crodify-fake-token",
    MERCADOPAGO_BASE_URL: fake.url,
  });
  const app = createDevPurchasesApp();
  return { ...harness, app, fake, ...callers(app) };
}

/** A published event with one ticket type on sale. */
export async function eventOnSale(
  sql: Parameters<typeof makeEvent>[0],
  type: TicketTypeOverrides = {},
  event: Parameters<typeof makeEvent>[1] = {},
) {
  const ev = await makeEvent(sql, event);
  const ticketType = await makeTicketType(sql, ev.id, type);
  return { event: ev, ticketType };
}

export function purchaseBody(eventId: string, ticketTypeId: string, quantity = 1) {
  return { event_id: eventId, items: [{ ticket_type_id: ticketTypeId, quantity }] };
}

export const key = () => ({ "idempotency-key": crypto.randomUUID() });
