/**
 * The functions as the dev gateway mounts them: the deployed ones plus the
 * local-only pages (the simulated Mercado Pago checkout). Only the dev
 * gateway and tests import this, so no deployed function's module graph
 * reaches the simulator (tests/deploy/module_graph_test.ts).
 */
import { config } from "../../shared/config.ts";
import type { App } from "../../shared/http.ts";
import { createPurchasesApp } from "../purchases/routes.ts";
import { registerSimulatorRoutes } from "../purchases/simulator_routes.ts";
import { FUNCTIONS } from "../registry.ts";

/** The purchases function with the simulated checkout (active only without Mercado Pago). */
export function createDevPurchasesApp(): App {
  const app = createPurchasesApp();
  // Production has no simulated checkout: not routed, so not documented either.
  if (!config().isProduction) registerSimulatorRoutes(app);
  return app;
}

export const DEV_FUNCTIONS: Record<string, () => App> = {
  ...FUNCTIONS,
  purchases: createDevPurchasesApp,
};
