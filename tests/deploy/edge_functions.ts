/**
 * Every function's entry point in its own process under the Edge Runtime's
 * Deno (EDGE_DENO), with the permissions the runtime grants (no write, no
 * subprocess) and the runtime's lockfile, behind a router that forwards
 * /functions/v1/<name>/<rest> to that process as /<name>/<rest>, as
 * Supabase's edge router does.
 */
import assert from "node:assert/strict";
import { FUNCTIONS } from "../../functions/registry.ts";
import { type ServiceProcess, spawnService } from "./processes.ts";

const ROOT = new URL("../../", import.meta.url);

/** The Edge Runtime's Deno binary (EDGE_DENO), checked against .ci/edge_runtime.env. */
export async function edgeDeno(): Promise<string> {
  const configured = Deno.env.get("EDGE_DENO");
  if (!configured) {
    throw new Error("set EDGE_DENO to the Edge Runtime's Deno binary (.ci/run does)");
  }
  // npm's deno package links bin/deno to a node wrapper that does not pass SIGTERM on.
  const real = await Deno.realPath(configured);
  const deno = real.endsWith("/bin.cjs") ? real.replace(/bin\.cjs$/, "deno") : real;
  const wanted = (await Deno.readTextFile(new URL(".ci/edge_runtime.env", ROOT)))
    .match(/^EDGE_RUNTIME_DENO=(\S+)$/m)![1];
  const output = await new Deno.Command(deno, { args: ["--version"] }).output();
  const version = new TextDecoder().decode(output.stdout).split(/\s+/)[1];
  assert.equal(
    version,
    wanted,
    `EDGE_DENO is Deno ${version}, .ci/edge_runtime.env says ${wanted}`,
  );
  return deno;
}

export interface EdgeFunctions {
  origin: string;
  processes: Map<string, ServiceProcess>;
  stop(): Promise<void>;
}

export async function startEdgeFunctions(
  deno: string,
  env: Record<string, string>,
): Promise<EdgeFunctions> {
  const processes = new Map<string, ServiceProcess>();
  try {
    await Promise.all(
      Object.keys(FUNCTIONS).map(async (name) => {
        processes.set(
          name,
          await spawnService({
            deno,
            args: [
              "run",
              "--allow-net",
              "--allow-env",
              "--allow-read",
              "--allow-sys",
              "--lock=supabase/edge_runtime.lock",
              "tests/deploy/edge_entry.ts",
              `functions/${name}/index.ts`,
            ],
            env,
            ready: /^edge function listening (http:\/\/[\d.:]+)$/,
          }),
        );
      }),
    );
  } catch (error) {
    await Promise.all([...processes.values()].map((p) => p.stop()));
    throw error;
  }
  const router = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    const match = url.pathname.match(/^\/functions\/v1(\/([^/]+).*)$/);
    const target = match && processes.get(match[2]);
    if (!target) return Response.json({ error: { code: "not_found" } }, { status: 404 });
    return fetch(new Request(`${target.origin}${match[1]}${url.search}`, request), {
      redirect: "manual",
    });
  });
  return {
    origin: `http://127.0.0.1:${router.addr.port}`,
    processes,
    stop: async () => {
      await router.shutdown();
      await Promise.all([...processes.values()].map((p) => p.stop()));
    },
  };
}

/**
 * Runs `fn` against every function under the Edge Runtime's Deno, then stops them; when `fn`
 * fails, each function's last stderr lines are printed first (the failure's server side).
 */
export async function withEdgeFunctions<T>(
  deno: string,
  env: Record<string, string>,
  fn: (edge: EdgeFunctions) => Promise<T>,
): Promise<T> {
  const edge = await startEdgeFunctions(deno, env);
  try {
    return await fn(edge);
  } catch (error) {
    for (const [name, process] of edge.processes) {
      console.error(`${name} stderr:\n${process.stderr.lines.slice(-15).join("\n")}`);
    }
    throw error;
  } finally {
    await edge.stop();
  }
}
