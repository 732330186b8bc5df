/**
 * How the browser tests get their Chromium on a machine that has none
 * (tests/support/chromium_provision.ts): which path wins, when apt-get is run
 * (root on Debian only, `update` only when the first install fails), and what
 * a newcomer is told everywhere else. apt-get and the file system are a
 * recording stand-in here; the browser test itself uses the real ones.
 */
import assert from "node:assert/strict";
import { type ChromiumHost, ensureChromium, thisHost } from "../support/chromium_provision.ts";

const DEBIAN = "/usr/bin/chromium";

function host(
  overrides: Partial<ChromiumHost> & { files?: string[]; aptResults?: boolean[] } = {},
) {
  const files = new Set(overrides.files ?? []);
  const aptResults = [...(overrides.aptResults ?? [])];
  const apt: string[][] = [];
  const said: string[] = [];
  const fake: ChromiumHost = {
    debianPath: DEBIAN,
    root: true,
    debian: true,
    exists: (path) => files.has(path),
    aptGet: (args) => {
      apt.push(args);
      const ok = aptResults.shift() ?? false;
      if (ok && args[0] === "install") files.add(DEBIAN);
      return Promise.resolve(ok);
    },
    say: (line) => said.push(line),
    ...overrides,
  };
  return { fake, apt, said };
}

Deno.test("CHROMIUM_PATH wins and is never installed over", async () => {
  const given = host({ override: "/opt/chrome/chrome", files: ["/opt/chrome/chrome", DEBIAN] });
  assert.equal(await ensureChromium(given.fake), "/opt/chrome/chrome");
  const missing = host({ override: "/opt/nothing", files: [DEBIAN] });
  await assert.rejects(ensureChromium(missing.fake), /CHROMIUM_PATH=\/opt\/nothing/);
  assert.deepEqual([...given.apt, ...missing.apt], []);
});

Deno.test("an installed Debian Chromium is used as it is", async () => {
  const installed = host({ files: [DEBIAN] });
  assert.equal(await ensureChromium(installed.fake), DEBIAN);
  assert.deepEqual(installed.apt, []);
});

Deno.test("root on Debian without Chromium installs it once, saying so", async () => {
  const fresh = host({ aptResults: [true] });
  assert.equal(await ensureChromium(fresh.fake), DEBIAN);
  assert.deepEqual(fresh.apt, [["install", "-y", "--no-install-recommends", "chromium"]]);
  assert.match(fresh.said.join("\n"), /installing Debian's \(apt-get install -y chromium\)/);
  // The second browser test of the run finds it.
  assert.equal(await ensureChromium(fresh.fake), DEBIAN);
  assert.equal(fresh.apt.length, 1);
});

Deno.test("empty package lists: apt-get update, then the install again", async () => {
  const stale = host({ aptResults: [false, true, true] });
  assert.equal(await ensureChromium(stale.fake), DEBIAN);
  assert.deepEqual(stale.apt.map((args) => args[0]), ["install", "update", "install"]);
  const offline = host({ aptResults: [false, false] });
  await assert.rejects(ensureChromium(offline.fake), /apt-get install -y chromium failed/);
  assert.deepEqual(offline.apt.map((args) => args[0]), ["install", "update"]);
});

Deno.test("not root, or not Debian: a clear message and no apt-get", async () => {
  const user = host({ root: false });
  await assert.rejects(
    ensureChromium(user.fake),
    (error: Error) =>
      /sudo apt-get install -y chromium/.test(error.message) &&
      /CHROMIUM_PATH/.test(error.message),
  );
  const other = host({ debian: false });
  await assert.rejects(
    ensureChromium(other.fake),
    (error: Error) =>
      /install Chromium with your system's packages/.test(error.message) &&
      /CHROMIUM_PATH/.test(error.message),
  );
  assert.deepEqual([...user.apt, ...other.apt], []);
});

Deno.test("this machine: the host is read from the environment", () => {
  const here = thisHost();
  assert.equal(here.override, Deno.env.get("CHROMIUM_PATH") || undefined);
  assert.equal(here.root, Deno.uid() === 0);
  assert.equal(here.debianPath, DEBIAN);
});
