/**
 * Every operation of an OpenAPI document, and for each an arbitrary request:
 * a valid request built from the operation's own schemas (schema_values.ts)
 * with at most one hostile part — one path parameter, query parameter,
 * header, body value or key, the whole body, or its media type — so the
 * hostile part is what the server must handle, not whichever check comes
 * first. Sent by any of the callers (anonymous, each role, forged tokens).
 */
import fc from "fast-check";
import { hostileJson, hostileRawBody, hostileString } from "./hostile.ts";
import { type JsonSchema, type ValueContext, valueFor } from "./schema_values.ts";

export interface Operation {
  method: string;
  path: string;
  parameters: Array<{ in: string; name: string; required?: boolean; schema?: JsonSchema }>;
  body?: { mediaTypes: string[]; schema?: JsonSchema };
}

export interface FuzzRequest {
  caller: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

// deno-lint-ignore no-explicit-any
type Document = any;

/** Every (path, method) the document lists, in document order. */
export function operationsOf(document: Document): Operation[] {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Document>).map(([method, op]) => {
      const content = op.requestBody?.content as
        | Record<string, { schema?: JsonSchema }>
        | undefined;
      return {
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: content
          ? { mediaTypes: Object.keys(content), schema: Object.values(content)[0]?.schema }
          : undefined,
      };
    })
  );
}

/** Where the one hostile part goes. */
const SITES = ["none", "path", "query", "extra_query", "header", "body_value", "body_key", "body"];
type Site = (typeof SITES)[number];

/** A valid request, before serialization. */
interface Draft {
  params: Record<string, string>;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body?: unknown;
  raw?: Uint8Array;
  contentType?: string;
}

const encoder = new TextEncoder();
const asText = (value: unknown) =>
  typeof value === "string" ? value : JSON.stringify(value) ?? "null";
/** Percent-encoded; a lone surrogate (which encodeURIComponent refuses) becomes U+FFFD. */
const encodePart = (value: string) => encodeURIComponent(value.toWellFormed());
/** A header value the Headers API accepts (it refuses CR, LF and NUL; so does the network). */
const headerSafe = (value: string) => value.replace(/[^\x20-\x7e]/g, "?").slice(0, 4096);

const params = (op: Operation, where: string) => op.parameters.filter((p) => p.in === where);

function draftFor(op: Operation, ctx: ValueContext): fc.Arbitrary<Draft> {
  const text = (schema?: JsonSchema) => valueFor(schema ?? {}, ctx).map(asText);
  const path = fc.tuple(...params(op, "path").map((p) => text(p.schema).map((v) => [p.name, v])));
  const query = fc.tuple(
    ...params(op, "query").map((p) =>
      // Optional parameters now and then: each may carry its own refinements.
      fc.tuple(text(p.schema), fc.nat(3)).map(([v, dice]) =>
        p.required || dice === 0 ? [p.name, v] as [string, string] : null
      )
    ),
  );
  const headers = fc.tuple(
    ...params(op, "header").map((p) =>
      text(p.schema).map((v) => [p.name, headerSafe(v)] as [string, string])
    ),
  );
  const body = op.body ? valueFor(op.body.schema ?? {}, ctx) : fc.constant(undefined);
  return fc.record({ path, query, headers, body }).map((d) => ({
    params: Object.fromEntries(d.path),
    query: d.query.filter((q): q is [string, string] => q !== null),
    headers: Object.fromEntries(d.headers),
    body: d.body,
    contentType: op.body?.mediaTypes[0],
  }));
}

/** A string with a NUL or control character inside, or any hostile string. */
const hostileText = fc.oneof(
  hostileString,
  fc.tuple(
    fc.string({ minLength: 1, maxLength: 12 }),
    fc.constantFrom("\u0000", "\u0001", "\u007f"),
  )
    .map(([t, c]) => t.slice(0, 1) + c + t.slice(1)),
);

interface Mutation {
  site: Site;
  pick: number;
  text: string;
  json: unknown;
  raw: Uint8Array;
  contentType: string;
}

/** The sites `op` has (a GET has no body to spoil), plus "none" and an undeclared parameter. */
function sitesOf(op: Operation): Site[] {
  return SITES.filter((site) =>
    site === "path"
      ? params(op, "path").length > 0
      : site === "query"
      ? params(op, "query").length > 0
      : site.startsWith("body")
      ? op.method !== "GET" && op.method !== "HEAD"
      : true
  );
}

const mutationFor = (op: Operation): fc.Arbitrary<Mutation> =>
  fc.record({
    site: fc.constantFrom(...sitesOf(op)),
    pick: fc.nat(),
    text: hostileText,
    json: hostileJson,
    raw: hostileRawBody,
    contentType: fc.constantFrom(
      "text/plain",
      "application/json; charset=latin1",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ),
  });

/** Replaces one leaf (or, with `key`, renames one key) of a JSON value, chosen by `pick`. */
function mutateJson(value: unknown, pick: number, replacement: unknown, key: boolean): unknown {
  const slots: Array<(v: unknown) => unknown> = [];
  const visit = (node: unknown, rebuild: (v: unknown) => unknown) => {
    if (Array.isArray(node) && node.length > 0) {
      node.forEach((item, i) => visit(item, (v) => rebuild(node.map((x, j) => (j === i ? v : x)))));
    } else if (node && typeof node === "object" && Object.keys(node).length > 0) {
      for (const [k, item] of Object.entries(node)) {
        if (key) {
          slots.push(() =>
            rebuild(
              Object.fromEntries(
                Object.entries(node).map(([kk, vv]) => [kk === k ? asText(replacement) : kk, vv]),
              ),
            )
          );
        }
        visit(item, (v) => rebuild({ ...node, [k]: v }));
      }
    } else if (!key) slots.push(() => rebuild(replacement));
  };
  visit(value, (v) => v);
  return slots.length === 0 ? replacement : slots[pick % slots.length](undefined);
}

function applyMutation(op: Operation, draft: Draft, m: Mutation): Draft {
  const out: Draft = { ...draft, query: [...draft.query], headers: { ...draft.headers } };
  const names = (list: Array<{ name: string }>) => list.map((p) => p.name);
  switch (m.site) {
    case "path": {
      const all = names(params(op, "path"));
      if (all.length) out.params = { ...draft.params, [all[m.pick % all.length]]: m.text };
      break;
    }
    case "query": {
      const all = names(params(op, "query"));
      if (all.length) out.query.push([all[m.pick % all.length], m.text]);
      break;
    }
    case "extra_query":
      out.query.push([m.pick % 2 ? m.text : "limit", m.text]);
      break;
    case "header": {
      const all = [...names(params(op, "header")), "x-request-id", "x-signature", "apikey"];
      out.headers[all[m.pick % all.length]] = headerSafe(m.text);
      break;
    }
    case "body_value":
    case "body_key":
      if (op.body) out.body = mutateJson(draft.body, m.pick, m.text, m.site === "body_key");
      else out.body = m.json;
      out.contentType ??= "application/json";
      break;
    case "body":
      if (m.pick % 3 === 0) out.body = m.json;
      else if (m.pick % 3 === 1) out.raw = m.raw;
      else out.contentType = m.contentType;
      out.contentType ??= "application/json";
      break;
  }
  return out;
}

function serialize(op: Operation, draft: Draft, caller: string, rawPath: boolean): FuzzRequest {
  const path = op.path.replace(/{([^}]+)}/g, (_, name) => {
    const value = draft.params[name] ?? "";
    return rawPath ? value : encodePart(value);
  });
  const search = new URLSearchParams(draft.query).toString();
  const canHaveBody = op.method !== "GET" && op.method !== "HEAD";
  const bytes = draft.raw ??
    (draft.body === undefined ? undefined : encoder.encode(JSON.stringify(draft.body) ?? "null"));
  const body = canHaveBody ? bytes : undefined;
  const headers = { ...draft.headers };
  if (body && draft.contentType) headers["content-type"] = draft.contentType;
  return { caller, method: op.method, url: search ? `${path}?${search}` : path, headers, body };
}

/** An arbitrary request to `op` from one of `callers` (names of the tokens the runner holds). */
export function requestFor(
  op: Operation,
  ctx: ValueContext,
  callers: readonly string[],
): fc.Arbitrary<FuzzRequest> {
  return fc.tuple(fc.constantFrom(...callers), draftFor(op, ctx), mutationFor(op), fc.nat(7)).map(
    ([caller, draft, m, dice]) => serialize(op, applyMutation(op, draft, m), caller, dice === 0),
  );
}
