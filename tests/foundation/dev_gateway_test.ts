import assert from "node:assert/strict";
import { waitForLine } from "../support/lines.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLONED = [
  "deno.json",
  "deno.lock",
  "import_map.json",
  "functions",
  "shared",
  "supabase",
];

Deno.test({
  name: "a fresh clone runs `deno task dev` with no env vars and is ready",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const clone = await Deno.makeTempDir({ prefix: "crodify-clone-" });
    for (const entry of CLONED) {
      await new Deno.Command("cp", { args: ["-r", `${ROOT}${entry}`, clone] }).output();
    }
    // Only what a shell gives any command; PORT=0 picks a free port so runs never collide.
    const env: Record<string, string> = {
      PATH: Deno.env.get("PATH")!,
      HOME: Deno.env.get("HOME")!,
      PORT: "0",
    };
    const child = new Deno.Command(Deno.execPath(), {
      args: ["task", "dev"],
      cwd: clone,
      env,
      clearEnv: true,
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const [, origin] = await waitForLine(child.stdout, /listening on (http:\/\/[\d.:]+)/);
      const response = await fetch(`${origin}/functions/v1/health/ready`);
      const body = await response.json();
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.equal(body.status, "ready");
      // The API docs and their npm assets work from a fresh clone too.
      for (const path of ["/openapi.json", "/docs", "/docs/assets/redoc.standalone.js"]) {
        const page = await fetch(`${origin}${path}`);
        await page.body?.cancel();
        assert.equal(page.status, 200, path);
      }
      assert.ok(
        (await Deno.stat(`${clone}/.data/pglite`)).isDirectory,
        "PGlite persisted in .data",
      );
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(clone, { recursive: true });
    }
  },
});
