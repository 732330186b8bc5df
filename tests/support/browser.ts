/**
 * Headless Chromium for page tests: CHROMIUM_PATH or Debian's `chromium`
 * (installed on first use where the test can, chromium_provision.ts) driven by
 * playwright-core, with the flags this machine needs. Without the
 * background-networking flags Chromium floods the closed network with
 * connections that are refused. A missing browser fails the test; never skips.
 */
import { type BrowserContext, chromium } from "playwright-core";
import { ensureChromium, thisHost } from "./chromium_provision.ts";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh browser with its own new, empty profile (removed on close). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureChromium(thisHost());
  const profile = await Deno.makeTempDir({ prefix: "crodify-chromium-" });
  // launchPersistentContext because Playwright refuses --user-data-dir in args.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await Deno.remove(profile, { recursive: true });
    },
  };
}
