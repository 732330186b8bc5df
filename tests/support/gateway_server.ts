/**
 * The local gateway served on a real port (0: the OS picks a free one) in this
 * test process, for clients that need a URL: a browser, supabase-js, fetch.
 */
import { createGateway } from "../../functions/gateway.ts";
import { DEV_FUNCTIONS } from "../../functions/_dev/dev_functions.ts";
import type { App } from "../../shared/http.ts";
import { setupHarness } from "./harness.ts";

export interface GatewayServer {
  /** e.g. http://127.0.0.1:41234; functions live under `${origin}/functions/v1`. */
  origin: string;
  close(): Promise<void>;
}

export async function serveGateway(
  functions: Record<string, () => App> = DEV_FUNCTIONS,
): Promise<GatewayServer> {
  await setupHarness();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    createGateway(functions).fetch,
  );
  return { origin: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}
