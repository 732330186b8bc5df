/**
 * `deno task bench --profile`: samples the server's CPU through the V8
 * inspector (the server runs with --inspect) during each HTTP run and prints
 * where its time went, by module and by function (self time).
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Profiler {
  start(): Promise<void>;
  /** Stops sampling and returns the summary text. */
  stop(label: string): Promise<string>;
  close(): void;
}

/** Connects to the inspector at `host:port` (the first target). */
export async function connectProfiler(inspect: string): Promise<Profiler> {
  const targets = await (await fetch(`http://${inspect}/json/list`)).json();
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let nextId = 0;
  const pending = new Map<number, (result: unknown) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message.result);
    pending.delete(message.id);
  };
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++nextId;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 200 });
  return {
    start: async () => void await call("Profiler.start"),
    async stop(label) {
      const { profile } = await call("Profiler.stop") as { profile: Profile };
      return summarize(label, profile);
    },
    close: () => socket.close(),
  };
}

function moduleOf(url: string): string {
  const npm = /registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (npm) return `npm:${npm[1]}`;
  const local = /\/((?:shared|functions|tests)\/.+)$/.exec(url);
  if (local) return local[1];
  if (url.startsWith("ext:") || url.startsWith("node:")) {
    return url.split("/")[0] + "/" + url.split("/")[2];
  }
  return url || "(native)";
}

function summarize(label: string, profile: Profile): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)!.callFrame;
    total += dt;
    const mod = frame.functionName === "(idle)"
      ? "(idle)"
      : moduleOf(frame.url) || frame.functionName;
    byModule.set(mod, (byModule.get(mod) ?? 0) + dt);
    const fn = `${frame.functionName || "(anonymous)"} ${moduleOf(frame.url)}:${
      frame.lineNumber + 1
    }`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
  });
  const top = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
      .map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join("\n");
  return `profile of the server during ${label} (${(total / 1e6).toFixed(1)} s sampled)\n` +
    `by module (self time):\n${top(byModule, 15)}\nby function (self time):\n${
      top(byFunction, 25)
    }\n`;
}
