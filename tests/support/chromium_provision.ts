/**
 * Where the browser tests find Chromium, installing it when they can, so that
 * `deno task ok` on a fresh Debian machine with only Deno runs them instead of
 * failing: CHROMIUM_PATH when set (used as is, never installed), otherwise
 * Debian's /usr/bin/chromium, installed with `apt-get install -y chromium` the
 * first time when this process is root on Debian. Anywhere else a missing
 * Chromium is an error saying what to do.
 */
export const DEBIAN_CHROMIUM = "/usr/bin/chromium";

export interface ChromiumHost {
  /** CHROMIUM_PATH, when set. */
  override?: string;
  /** Where Debian's package puts the binary (DEBIAN_CHROMIUM; other in tests). */
  debianPath: string;
  root: boolean;
  /** /etc/debian_version exists and apt-get is on PATH. */
  debian: boolean;
  exists(path: string): boolean;
  /** Runs apt-get with these arguments; its output goes to the test log. */
  aptGet(args: string[]): Promise<boolean>;
  say(line: string): void;
}

/** The path of a runnable Chromium, installed first when missing and installable here. */
export async function ensureChromium(host: ChromiumHost): Promise<string> {
  if (host.override) {
    if (host.exists(host.override)) return host.override;
    throw new Error(`CHROMIUM_PATH=${host.override} does not exist`);
  }
  if (host.exists(host.debianPath)) return host.debianPath;
  if (!host.debian || !host.root) {
    throw new Error(
      `no Chromium at ${host.debianPath}, and it can only be installed here by hand: ` +
        (host.debian
          ? "run `sudo apt-get install -y chromium` once"
          : "install Chromium with your system's packages") +
        ", or set CHROMIUM_PATH to a Chromium or Chrome binary",
    );
  }
  host.say(`no Chromium at ${host.debianPath}: installing Debian's (apt-get install -y chromium)`);
  const install = ["install", "-y", "--no-install-recommends", "chromium"];
  // A fresh machine's package lists may be empty or stale: update once and retry.
  const installed = await host.aptGet(install) ||
    (await host.aptGet(["update"]) && await host.aptGet(install));
  if (!installed || !host.exists(host.debianPath)) {
    throw new Error(
      `apt-get install -y chromium failed (see its output above); install it by hand ` +
        "or set CHROMIUM_PATH",
    );
  }
  return host.debianPath;
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function onPath(program: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((dir) => dir && exists(`${dir}/${program}`));
}

/** This machine. */
export function thisHost(): ChromiumHost {
  return {
    override: Deno.env.get("CHROMIUM_PATH") || undefined,
    debianPath: DEBIAN_CHROMIUM,
    root: Deno.uid?.() === 0,
    debian: exists("/etc/debian_version") && onPath("apt-get"),
    exists,
    aptGet: async (args) => {
      const child = new Deno.Command("apt-get", {
        args: ["-q", "-o", "DPkg::Lock::Timeout=300", ...args],
        env: { DEBIAN_FRONTEND: "noninteractive" },
        stdin: "null",
        stdout: "inherit",
        stderr: "inherit",
      }).spawn();
      return (await child.status).success;
    },
    say: (line) => console.error(line),
  };
}
