/**
 * The opaque cursor of every paginated list: the exact timestamp (to the
 * microsecond) and id of the last row of a page, base64url JSON. Lists order
 * by (timestamp, id) and continue strictly after it, so no row repeats or
 * goes missing between pages.
 */
import { z } from "zod";

/** Position after the last row of a page: its exact ordering timestamp (microseconds) and id. */
export interface Cursor {
  at: string;
  id: string;
}

const EXACT_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

export function encodeCursor(cursor: Cursor): string {
  return toBase64Url(JSON.stringify([cursor.at, cursor.id]));
}

/** The cursor, or undefined when the text is not one this API issued. */
export function decodeCursor(text: string): Cursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return undefined;
  try {
    const json = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const value: unknown = JSON.parse(json);
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [at, id] = value;
    if (typeof at !== "string" || !EXACT_TIMESTAMP.test(at)) return undefined;
    if (Number.isNaN(Date.parse(at))) return undefined;
    if (typeof id !== "string" || !UUID.test(id)) return undefined;
    return { at, id };
  } catch {
    return undefined;
  }
}

/** A query parameter that only accepts a cursor this API issued. */
export const CursorParam = z.string().transform((text, ctx) => {
  const cursor = decodeCursor(text);
  if (!cursor) {
    ctx.addIssue({ code: "custom", message: "Not a cursor returned by this API" });
    return z.NEVER;
  }
  return cursor;
}).meta({ type: "string", description: "next_cursor of the previous page" });
