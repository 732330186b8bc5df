/**
 * What Supabase bundles per function is its entry point's module graph
 * (static and literal dynamic imports alike). Dev-only code must not be in
 * it: the embedded database (~26 MB of PGlite), the browser test driver, the
 * API docs assets, the simulated checkout pages and the demo banner/tokens;
 * and the whole graph stays under a size budget, far below Supabase's 20 MB.
 */
import assert from "node:assert/strict";
import { FUNCTIONS } from "../../functions/registry.ts";

const ROOT = new URL("../../", import.meta.url);

/**
 * Local modules plus every reachable npm package's whole directory, as
 * `deno info` counts it (an upper bound on what a bundler can take): 10.5–12.9 MB when this was
 * written, zod alone (its full package) 5.9 MB; PGlite used to add 26 MB.
 */
const BUDGET_BYTES = 14 * 1024 * 1024;

const FORBIDDEN_PACKAGES = [
  "@electric-sql/pglite",
  "@electric-sql/pglite-socket",
  "playwright-core",
  "swagger-ui-dist",
  "redoc",
];
const FORBIDDEN_FILES = [
  /\/functions\/_dev\//,
  /\/functions\/purchases\/simulator_[a-z_]+\.ts$/,
  /\/functions\/(serve|gateway)\.ts$/,
  /\/shared\/db\/embedded\.ts$/,
];

interface Graph {
  modules: { kind: string; specifier: string; size?: number; npmPackage?: string }[];
  npmPackages: Record<string, { name: string; dependencies: string[]; localPath?: string }>;
}

async function denoInfo(entry: string): Promise<Graph> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, `deno info ${entry}: ${new TextDecoder().decode(output.stderr)}`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

/** The npm packages the graph reaches (npmPackages lists every package the lockfile knows). */
function reachablePackages(graph: Graph): string[] {
  const seen = new Set<string>();
  const pending = graph.modules.flatMap((m) => m.npmPackage ? [m.npmPackage] : []);
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    pending.push(...(graph.npmPackages[id]?.dependencies ?? []));
  }
  return [...seen];
}

async function directoryBytes(path: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(path)) {
    const child = `${path}/${entry.name}`;
    if (entry.isDirectory) total += await directoryBytes(child);
    else if (entry.isFile) total += (await Deno.stat(child)).size;
  }
  return total;
}

for (const name of Object.keys(FUNCTIONS)) {
  Deno.test(`functions/${name}: no dev-only module in the graph, size under budget`, async () => {
    const entry = `functions/${name}/index.ts`;
    const graph = await denoInfo(entry);
    const ids = reachablePackages(graph);
    const packages = ids.map((id) => graph.npmPackages[id].name);
    assert.deepEqual(packages.filter((p) => FORBIDDEN_PACKAGES.includes(p)), []);
    const files = graph.modules.map((m) => m.specifier);
    assert.deepEqual(files.filter((f) => FORBIDDEN_FILES.some((re) => re.test(f))), []);
    // The graph is the real one: the function's routes and the database driver are in it.
    assert.ok(files.some((f) => f.endsWith(`/functions/${name}/routes.ts`)), "routes.ts");
    assert.ok(files.some((f) => f.includes("/shared/vendor/postgres/")), "postgres.js (vendored)");
    let bytes = graph.modules.reduce((sum, m) => sum + (m.size ?? 0), 0);
    for (const id of ids) {
      const path = graph.npmPackages[id].localPath;
      assert.ok(path, `${id} is not in the npm cache`);
      bytes += await directoryBytes(path);
    }
    assert.ok(
      bytes < BUDGET_BYTES,
      `${(bytes / 1024 ** 2).toFixed(2)} MB, budget ${BUDGET_BYTES / 1024 ** 2} MB`,
    );
  });
}
