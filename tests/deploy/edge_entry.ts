/**
 * Runs one function's entry point as Supabase's Edge Runtime does: the
 * module is loaded unchanged and whatever it passes to Deno.serve answers
 * the requests. Deno 2.1.4 has no DENO_SERVE_ADDRESS, so (as the runtime
 * does) Deno.serve is replaced before the entry point loads: it listens on
 * 127.0.0.1 on a free port and prints `edge function listening <origin>`.
 *
 *   deno run … tests/deploy/edge_entry.ts functions/<name>/index.ts
 */
type Handler = (request: Request) => Response | Promise<Response>;

const serve = Deno.serve;
// deno-lint-ignore no-explicit-any
(Deno as any).serve = (handler: Handler | { fetch: Handler }) =>
  serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`edge function listening http://127.0.0.1:${port}`),
  }, typeof handler === "function" ? handler : handler.fetch);

await import(new URL(Deno.args[0], `file://${Deno.cwd()}/`).href);
