/**
 * postgres.js asks a new session for the database's array types before its
 * first query. When the session died during that question (a server
 * restarting just as the pool reconnected) the driver's own promise was
 * rejected with nobody listening: an unhandled rejection with
 * CONNECTION_CLOSED or ECONNRESET, which only the process guard caught. This
 * cuts a connection exactly there, through a proxy, and counts rejections
 * nobody handled: there must be none, and the pool must serve again.
 */
import assert from "node:assert/strict";
import { createSql } from "../../shared/db/connect.ts";

const databaseUrl = Deno.env.get("DATABASE_URL");

/** Forwards to PostgreSQL, but closes the first connection when it sends the type query. */
function startTypeQueryCutter(target: URL) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const marker = new TextEncoder().encode("pg_catalog.pg_type");
  let cuts = 0;
  const serve = async (client: Deno.Conn) => {
    const server = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
    const toClient = server.readable.pipeTo(client.writable).catch(() => {});
    try {
      for await (const chunk of client.readable) {
        if (cuts === 0 && contains(chunk, marker)) {
          cuts++;
          break; // the type query never reaches the server; the client's connection ends
        }
        const writer = server.writable.getWriter();
        await writer.write(chunk);
        writer.releaseLock();
      }
    } catch { /* closed */ }
    for (const conn of [client, server]) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    await toClient;
  };
  const accepting = (async () => {
    for await (const conn of listener) serve(conn).catch(() => {});
  })();
  return {
    url: `postgres://${target.username}@127.0.0.1:${(listener.addr as Deno.NetAddr).port}/${
      target.pathname.slice(1)
    }`,
    cuts: () => cuts,
    close: async () => {
      listener.close();
      await accepting.catch(() => {});
    },
  };
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

Deno.test({
  name: "a session that dies while the driver fetches types leaves no unhandled rejection",
  ignore: !databaseUrl,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const unhandled: unknown[] = [];
    const count = (event: PromiseRejectionEvent) => {
      event.preventDefault();
      unhandled.push(event.reason);
    };
    globalThis.addEventListener("unhandledrejection", count);
    const cutter = startTypeQueryCutter(new URL(databaseUrl!));
    const sql = createSql(cutter.url, { max: 1 });
    try {
      const first = await sql`select 1 as one`.then(() => "answered", (e) => e.code);
      assert.equal(cutter.cuts(), 1);
      assert.equal(first, "CONNECTION_CLOSED"); // the caller hears of it, as an error it can map
      // The pool reconnects; the next session fetches its types and serves.
      assert.deepEqual([...await sql`select 1 as one`], [{ one: 1 }]);
      await new Promise((resolve) => setTimeout(resolve, 50)); // let rejections surface
      assert.deepEqual(unhandled.map((e) => (e as { code?: string }).code ?? String(e)), []);
    } finally {
      globalThis.removeEventListener("unhandledrejection", count);
      await sql.end({ timeout: 1 });
      await cutter.close();
    }
  },
});
