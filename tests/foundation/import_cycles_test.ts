/**
 * No import cycle among our own modules (type-only imports included): a cycle
 * makes load order matter and hides which module owns what. Reads the
 * relative imports of every file under shared/ and functions/ (vendor aside).
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*"(\.{1,2}\/[^"]+\.ts)"/g;

async function sourceFiles(dir: URL, found: URL[] = []): Promise<URL[]> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory && entry.name !== "vendor") await sourceFiles(url, found);
    else if (entry.isFile && entry.name.endsWith(".ts")) found.push(url);
  }
  return found;
}

async function importGraph(): Promise<Map<string, string[]>> {
  const files = [
    ...await sourceFiles(new URL("shared/", ROOT)),
    ...await sourceFiles(new URL("functions/", ROOT)),
  ];
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = await Deno.readTextFile(file);
    const deps = [...text.matchAll(IMPORT)].map((m) => new URL(m[1], file).href);
    graph.set(file.href, deps);
  }
  return graph;
}

/** Strongly connected components of more than one module (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w.slice(ROOT.href.length));
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

Deno.test("the cycle finder finds a cycle", () => {
  const a = `${ROOT.href}a.ts`, b = `${ROOT.href}b.ts`, c = `${ROOT.href}c.ts`;
  assert.deepEqual(cycles(new Map([[a, [b]], [b, [a, c]], [c, []]])), [["a.ts", "b.ts"]]);
});

Deno.test("shared/ and functions/ have no import cycle", async () => {
  assert.deepEqual(cycles(await importGraph()), []);
});
