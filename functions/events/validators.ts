/**
 * Field validators shared by the events schemas: IANA time zones, ISO 4217
 * currencies, slugs, and the opaque list cursor. Limits mirror the CHECKs in
 * the events/ticket_types tables so bad input is a 400, never a 500.
 */
import { z } from "zod";

// Read from ICU on first use, not at boot (~5 ms of every cold start).
let timeZones: Set<string> | undefined;
let currencies: Set<string> | undefined;
const supportedTimeZones = () => timeZones ??= new Set(Intl.supportedValuesOf("timeZone"));
const supportedCurrencies = () => currencies ??= new Set(Intl.supportedValuesOf("currency"));
// Area/Location names (and UTC); rejects raw offsets like "+03:00" that ICU also accepts.
const TIME_ZONE_SHAPE = /^[A-Z][A-Za-z0-9_+-]*(\/[A-Z][A-Za-z0-9_+-]*){0,2}$/;

/**
 * True for IANA zone names. ICU lists canonical names only (America/Buenos_Aires),
 * so an alias (America/Argentina/Buenos_Aires) counts when it resolves to one.
 */
export function isIanaTimeZone(name: string): boolean {
  if (!TIME_ZONE_SHAPE.test(name) || name.length > 64) return false;
  if (supportedTimeZones().has(name) || name === "UTC") return true;
  try {
    const resolved = new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone;
    return supportedTimeZones().has(resolved);
  } catch {
    return false;
  }
}

export function isIsoCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && supportedCurrencies().has(code);
}

export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const SLUG_MAX = 120;

/** A slug from a title: lower case ASCII, accents dropped, words joined by dashes. */
export function slugify(title: string): string {
  return title.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, SLUG_MAX).replace(/-+$/, "");
}

export const TimeZone = z.string().refine(isIanaTimeZone, "Unknown IANA time zone")
  .meta({ example: "America/Argentina/Buenos_Aires" });
export const Currency = z.string().refine(isIsoCurrency, "Unknown ISO 4217 currency code")
  .meta({ example: "ARS" });
export const Slug = z.string().max(SLUG_MAX).regex(SLUG_PATTERN, "Lower case words joined by -")
  .meta({ example: "demo-fest" });
export const DateTime = z.iso.datetime({ offset: true })
  .meta({ example: "2026-12-31T21:00:00-03:00" });

// ---------------------------------------------------------------- cursor

// The list cursor is shared with other paginated lists (a user's tickets).
export { type Cursor, CursorParam, decodeCursor, encodeCursor } from "../../shared/cursor.ts";
