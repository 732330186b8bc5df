/**
 * Swagger UI and ReDoc files, served by the local gateway from the pinned npm
 * packages (import_map.json), never from a CDN. Text imports keep them in the
 * module graph, so `deno install`/`deno cache` fetch them like any dependency;
 * each file is read on its first request only.
 */

interface Asset {
  contentType: string;
  load: () => Promise<{ default: string }>;
  /** Rewrites the file once, after loading. */
  patch?: (text: string) => string;
}

const JS = "text/javascript; charset=utf-8";

const ASSETS: Record<string, Asset> = {
  "swagger-ui.css": {
    contentType: "text/css; charset=utf-8",
    load: () => import("swagger-ui-dist/swagger-ui.css", { with: { type: "text" } }),
  },
  "swagger-ui-bundle.js": {
    contentType: JS,
    load: () => import("swagger-ui-dist/swagger-ui-bundle.js", { with: { type: "text" } }),
  },
  "redoc.standalone.js": {
    contentType: JS,
    load: () => import("redoc/bundles/redoc.standalone.js", { with: { type: "text" } }),
    // The menu's "API docs by Redocly" logo is hard-coded to Redocly's CDN; an
    // empty data: URL fails to load without a request, and ReDoc then hides it.
    patch: (text) => text.replaceAll("https://cdn.redoc.ly/redoc/logo-mini.svg", "data:,"),
  },
};

export const ASSET_NAMES = Object.keys(ASSETS);

const loaded = new Map<string, Promise<string>>();

function text(name: string, asset: Asset): Promise<string> {
  let body = loaded.get(name);
  if (!body) {
    body = asset.load().then(({ default: text }) => asset.patch?.(text) ?? text);
    loaded.set(name, body);
  }
  return body;
}

/** The asset as a response, or undefined for a name that is not one. */
export async function assetResponse(name: string): Promise<Response | undefined> {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) return undefined;
  return new Response(await text(name, asset), {
    headers: { "content-type": asset.contentType, "cache-control": "public, max-age=3600" },
  });
}
