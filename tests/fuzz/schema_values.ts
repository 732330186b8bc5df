/**
 * Valid values for an OpenAPI 3.1 (JSON Schema) schema, so that a request
 * with one hostile part (requests.ts) gets past every other check and into
 * the services. Ids come from a pool of real fixture ids as often as not.
 */
import fc from "fast-check";
import { hostileJson } from "./hostile.ts";

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

export interface ValueContext {
  /** components.schemas of the document, for $ref. */
  schemas: Record<string, JsonSchema>;
  /** Real ids (events, ticket types, tickets, orders, users) to aim at. */
  ids: string[];
}

const MAX_DEPTH = 6;

/** A value `schema` accepts (as far as JSON Schema says: refinements may still refuse it). */
export function valueFor(schema: JsonSchema, ctx: ValueContext, depth = 0): fc.Arbitrary<unknown> {
  return validValueFor(schema, ctx, depth);
}

function resolve(schema: JsonSchema, ctx: ValueContext): JsonSchema {
  let current = schema;
  for (let hops = 0; current.$ref && hops < 10; hops++) {
    current = ctx.schemas[current.$ref.replace("#/components/schemas/", "")] ?? {};
  }
  return current;
}

function validValueFor(raw: JsonSchema, ctx: ValueContext, depth: number): fc.Arbitrary<unknown> {
  const schema = resolve(raw, ctx);
  if (depth > MAX_DEPTH) return fc.constant(null);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants?.length) return fc.oneof(...variants.map((v) => valueFor(v, ctx, depth + 1)));
  if (schema.allOf?.length) return valueFor(schema.allOf[0], ctx, depth + 1);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length > 1) {
    return fc.oneof(...types.map((type) => validValueFor({ ...schema, type }, ctx, depth)));
  }
  switch (types[0]) {
    case "string":
      return stringFor(schema, ctx);
    case "integer":
      return numberFor(schema, true);
    case "number":
      return numberFor(schema, false);
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(valueFor(schema.items ?? {}, ctx, depth + 1), {
        minLength: Math.min(schema.minItems ?? 0, 3),
        maxLength: Math.min(schema.maxItems ?? 3, 3),
      });
    case "object":
      return objectFor(schema, ctx, depth);
    default:
      return hostileJson;
  }
}

function stringFor(schema: JsonSchema, ctx: ValueContext): fc.Arbitrary<string> {
  switch (schema.format) {
    case "uuid":
      return ctx.ids.length > 0 ? fc.oneof(fc.constantFrom(...ctx.ids), fc.uuid()) : fc.uuid();
    case "date-time":
      return fc.date({
        min: new Date("2020-01-01"),
        max: new Date("2035-01-01"),
        noInvalidDate: true,
      }).map((d) => d.toISOString());
    case "email":
      return fc.emailAddress();
    case "uri":
      return fc.webUrl();
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, 40));
  return fc.string({ minLength, maxLength }).filter((t) => t.trim().length >= minLength);
}

function numberFor(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = schema.minimum ?? -1_000_000;
  const max = schema.maximum ?? 1_000_000;
  if (integer) {
    return fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) });
  }
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

function objectFor(schema: JsonSchema, ctx: ValueContext, depth: number) {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const entries = Object.entries(properties).map(([key, prop]) => {
    const value = valueFor(prop, ctx, depth + 1);
    // Required keys always (a missing one is a mutation of its own); optional ones one time in four.
    return fc.tuple(fc.constant(key), value, fc.nat(3)).map(([k, v, dice]) =>
      required.has(k) || dice === 0 ? [[k, v] as const] : []
    );
  });
  return fc.tuple(...entries).map((picked) => Object.fromEntries(picked.flat()));
}
