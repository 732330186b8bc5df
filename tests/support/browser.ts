/**
 * Headless Chromium for page tests: Debian's `chromium` (installed by .ci/run)
 * driven by playwright-core, with the flags this machine needs. Without the
 * background-networking flags Chromium floods the closed network with
 * connections that are refused. A missing browser fails the test; never skips.
 */
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

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
  try {
    await Deno.stat(CHROMIUM_PATH);
  } catch {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install -y chromium; ` +
        ".ci/run does) or point CHROMIUM_PATH at one",
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "crodify-chromium-" });
  // launchPersistentContext because Playwright refuses --user-data-dir in args.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
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
