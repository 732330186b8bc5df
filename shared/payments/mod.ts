/**
 * The payment provider for the current configuration, resolved on every use
 * so tests (and a gateway reconfigured at runtime) switch providers by config.
 */
import { config } from "../config.ts";
import { createMercadoPagoProvider } from "./mercadopago.ts";
import { createSimulatedProvider } from "./simulated.ts";
import type { PaymentProvider } from "./provider.ts";

export * from "./provider.ts";
export { checkWebhookSignature, signWebhook } from "./webhook_signature.ts";
export {
  createSimulatedPayment,
  refundSimulatedPaymentOf,
  SIMULATED_PROVIDER,
} from "./simulated.ts";

/** Mercado Pago when MERCADOPAGO_ACCESS_TOKEN is set, else (outside production) simulated. */
export function paymentProvider(): PaymentProvider {
  const { MERCADOPAGO_ACCESS_TOKEN, isProduction } = config();
  if (MERCADOPAGO_ACCESS_TOKEN) return createMercadoPagoProvider(MERCADOPAGO_ACCESS_TOKEN);
  // config() already refuses production without a token; this guards a hand-built config.
  if (isProduction) throw new Error("MERCADOPAGO_ACCESS_TOKEN is required in production");
  return createSimulatedProvider();
}

/** True when checkout runs against the simulated provider (local development). */
export function isSimulatedPayments(): boolean {
  return paymentProvider().name === "simulated";
}
