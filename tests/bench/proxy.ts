/**
 * The Upstash-REST proxy over the real redis-server (tests/support), in its own
 * process as Upstash is a separate service. Prints `listening <url>`.
 */
import { startUpstashProxy } from "../support/upstash_proxy.ts";

if (import.meta.main) {
  const proxy = await startUpstashProxy({
    redisUrl: Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379",
    token: Deno.env.get("UPSTASH_REDIS_REST_TOKEN") ?? "bench-upstash-token",
  });
  // The proxy keeps every request for tests' assertions; a benchmark would grow it without bound.
  setInterval(() => proxy.requests.splice(0), 1000);
  console.log(`listening ${proxy.url}`);
  const stop = async () => {
    await proxy.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
