/**
 * A TCP proxy in front of a real server (the Upstash proxy, the fake Mercado
 * Pago, the fake SendGrid) that misbehaves on command, as a network does:
 * - `pass`: bytes flow both ways;
 * - `slow`: each chunk towards the client is held `ms` first;
 * - `hang`: connections are accepted and then nothing ever comes back;
 * - `drop`: connections are accepted and closed at once (a reset, mid-request);
 * - `refuse`: nothing listens (connection refused), until the mode changes.
 * Changing the mode closes the connections already open, so clients that
 * keep connections alive meet the new behaviour at their next request.
 */
export type FaultMode =
  | { kind: "pass" }
  | { kind: "slow"; ms: number }
  | { kind: "hang" }
  | { kind: "drop" }
  | { kind: "refuse" };

export interface FaultProxy {
  /** http://127.0.0.1:<port>: use it in place of the target's URL. */
  url: string;
  set(mode: FaultMode): void;
  close(): Promise<void>;
}

export function startFaultProxy(targetUrl: string): FaultProxy {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port);
  let mode: FaultMode = { kind: "pass" };
  const open = new Set<Deno.Conn>();
  let listener: Deno.Listener | undefined = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let accepting = accept(listener);

  async function accept(on: Deno.Listener) {
    for await (const conn of on) {
      open.add(conn);
      serve(conn).catch(() => {}).finally(() => {
        open.delete(conn);
        closeQuietly(conn);
      });
    }
  }

  async function serve(client: Deno.Conn) {
    const current = mode;
    if (current.kind === "drop") return;
    if (current.kind === "hang") {
      // Read and discard until the client gives up or the mode changes.
      for await (const _ of client.readable) { /* nothing comes back */ }
      return;
    }
    const upstream = await Deno.connect({ hostname: target.hostname, port: targetPort });
    open.add(upstream);
    try {
      const delay = current.kind === "slow" ? current.ms : 0;
      await Promise.race([
        client.readable.pipeTo(upstream.writable).catch(() => {}),
        upstream.readable.pipeThrough(delayed(delay)).pipeTo(client.writable).catch(() => {}),
      ]);
    } finally {
      open.delete(upstream);
      closeQuietly(upstream);
    }
  }

  function dropAll() {
    for (const conn of open) closeQuietly(conn);
    open.clear();
  }

  return {
    url: `http://127.0.0.1:${port}`,
    set(next) {
      const wasRefusing = mode.kind === "refuse";
      mode = next;
      dropAll();
      if (next.kind === "refuse" && listener) {
        listener.close();
        listener = undefined;
      } else if (next.kind !== "refuse" && wasRefusing) {
        listener = Deno.listen({ hostname: "127.0.0.1", port });
        accepting = accept(listener);
      }
    },
    async close() {
      listener?.close();
      listener = undefined;
      dropAll();
      await accepting.catch(() => {});
    },
  };
}

function delayed(ms: number): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    async transform(chunk, controller) {
      if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
      controller.enqueue(chunk);
    },
  });
}

function closeQuietly(conn: Deno.Conn) {
  try {
    conn.close();
  } catch { /* already closed */ }
}
