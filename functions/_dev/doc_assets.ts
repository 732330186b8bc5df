/**
 * Swagger UI and ReDoc files, served by the local gateway from the pinned npm
 * packages (import_map.json), never from a CDN. Text imports keep them in the
 * module graph, so `deno install`/`deno cache` fetch them like any dependency;
 * each file is read on its first request only.
 */

interface Asset {
  contentType: string;
  load: () => Promise<{ default: string }>;
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
  },
};

export const ASSET_NAMES = Object.keys(ASSETS);

/** The asset as a response, or undefined for a name that is not one. */
export async function assetResponse(name: string): Promise<Response | undefined> {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) return undefined;
  const { default: text } = await asset.load();
  return new Response(text, {
    headers: { "content-type": asset.contentType, "cache-control": "public, max-age=3600" },
  });
}
