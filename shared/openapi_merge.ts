/**
 * Merges the functions' own OpenAPI documents into the one the gateway serves:
 * paths under the gateway's prefix (`/functions/v1`), tags, components and
 * webhooks combined. Two functions that give one component name different content, or
 * reuse an operationId, make the merge fail instead of silently picking one.
 */
import type { OpenApiDocument } from "./openapi.ts";

type Json = Record<string, unknown>;
type Tag = NonNullable<OpenApiDocument["tags"]>[number];

export interface MergeOptions {
  /** Prepended to every path, e.g. `/functions/v1`. */
  prefix: string;
  info: OpenApiDocument["info"];
  servers: NonNullable<OpenApiDocument["servers"]>;
}

export class OpenApiMergeError extends Error {
  override name = "OpenApiMergeError";
}

/** One OpenAPI 3.1 document from `{ <function name>: <its document> }`. */
export function mergeOpenApiDocuments(
  documents: Record<string, OpenApiDocument>,
  options: MergeOptions,
): OpenApiDocument {
  const paths: Json = {};
  const components = new ComponentTable();
  const webhooks = new ComponentTable();
  const tags = new Map<string, Tag>();
  const operationIds = new Map<string, string>();
  for (const [name, document] of Object.entries(documents)) {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      const merged = `${options.prefix}${path}`;
      if (merged in paths) throw new OpenApiMergeError(`path ${merged} is in two documents`);
      claimOperationIds(operationIds, item as Json, name);
      paths[merged] = item;
    }
    components.add(name, (document.components ?? {}) as Record<string, Json>);
    webhooks.add(name, { webhooks: (document.webhooks ?? {}) as Json });
    for (const tag of document.tags ?? []) {
      if (!tags.has(tag.name)) tags.set(tag.name, tag);
    }
  }
  return {
    openapi: "3.1.0",
    info: options.info,
    servers: options.servers,
    tags: [...tags.values()],
    paths: paths as OpenApiDocument["paths"],
    components: components.toJson() as OpenApiDocument["components"],
    ...webhooks.toJson() as Pick<OpenApiDocument, "webhooks">,
  };
}

function claimOperationIds(owners: Map<string, string>, item: Json, name: string): void {
  for (const operation of Object.values(item)) {
    const id = (operation as { operationId?: unknown } | undefined)?.operationId;
    if (typeof id !== "string") continue;
    const owner = owners.get(id);
    if (owner !== undefined) {
      throw new OpenApiMergeError(`operationId '${id}' is used by both '${owner}' and '${name}'`);
    }
    owners.set(id, name);
  }
}

/** Components by kind and name, remembering which function brought each. */
class ComponentTable {
  #entries = new Map<string, { owner: string; value: unknown; canonical: string }>();
  #byKind: Record<string, Json> = {};

  add(owner: string, components: Record<string, Json>): void {
    for (const [kind, entries] of Object.entries(components)) {
      for (const [name, value] of Object.entries(entries ?? {})) {
        this.#put(owner, kind, name, value);
      }
    }
  }

  #put(owner: string, kind: string, name: string, value: unknown): void {
    const key = `${kind}.${name}`;
    const canonical = canonicalJson(value);
    const existing = this.#entries.get(key);
    if (existing) {
      if (existing.canonical !== canonical) {
        throw new OpenApiMergeError(
          `component ${key} differs between '${existing.owner}' and '${owner}'; ` +
            "give one of them another name",
        );
      }
      return;
    }
    this.#entries.set(key, { owner, value, canonical });
    (this.#byKind[kind] ??= {})[name] = value;
  }

  toJson(): Json {
    return Object.fromEntries(
      Object.entries(this.#byKind).filter(([, entries]) => Object.keys(entries).length > 0),
    );
  }
}

/** JSON with object keys sorted, so equal content compares equal whatever its key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, inner) =>
      inner && typeof inner === "object" && !Array.isArray(inner)
        ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : inner,
  );
}
