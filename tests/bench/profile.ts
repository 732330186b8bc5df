/**
 * `deno task bench --profile`: samples the server's CPU through the V8
 * inspector (the server runs with --inspect) during each HTTP run and prints
 * where its time went, by module and by function (self time).
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
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

const frameName = (frame: ProfileNode["callFrame"]) =>
  `${frame.functionName || "(anonymous)"} ${moduleOf(frame.url)}:${frame.lineNumber + 1}`;

/** For each of `hot`, the call paths (up to `depth` frames of JS above it) that spent its time. */
function callersOf(
  profile: Profile,
  hot: string[],
  selfTime: Map<number, number>,
  total: number,
  depth = 4,
): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const lines: string[] = [];
  for (const name of hot) {
    const paths = new Map<string, number>();
    for (const [id, time] of selfTime) {
      if (frameName(byId.get(id)!.callFrame) !== name) continue;
      const chain: string[] = [];
      for (let up = parent.get(id); up !== undefined && chain.length < depth; up = parent.get(up)) {
        const frame = byId.get(up)!.callFrame;
        if (frame.url) chain.push(frameName(frame));
      }
      const key = chain.join(" ← ") || "(no JS caller)";
      paths.set(key, (paths.get(key) ?? 0) + time);
    }
    lines.push(`  ${name}`);
    for (const [path, time] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, 3)) {
      lines.push(`    ${((100 * time) / total).toFixed(1).padStart(5)}%  ← ${path}`);
    }
  }
  return lines.join("\n");
}

function summarize(label: string, profile: Profile): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfTime = new Map<number, number>();
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)!.callFrame;
    total += dt;
    selfTime.set(id, (selfTime.get(id) ?? 0) + dt);
    const mod = frame.functionName === "(idle)"
      ? "(idle)"
      : moduleOf(frame.url) || frame.functionName;
    byModule.set(mod, (byModule.get(mod) ?? 0) + dt);
    const fn = frameName(frame);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
  });
  const top = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
      .map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join("\n");
  const hot = [...byFunction].filter(([name]) => !name.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1]).slice(0, 6).map(([name]) => name);
  return `profile of the server during ${label} (${(total / 1e6).toFixed(1)} s sampled)\n` +
    `by module (self time):\n${top(byModule, 15)}\nby function (self time):\n${
      top(byFunction, 25)
    }\nwho calls the hottest functions:\n${callersOf(profile, hot, selfTime, total)}\n`;
}
