/** Money and dates as the reader's locale writes them, in the event's time zone. */
import type { Locale } from "../outbox.ts";

const INTL_LOCALE: Record<Locale, string> = { es: "es-AR", en: "en-US" };

/** Integer minor units → "$ 12.500,00" (es) / "ARS 12,500.00" (en). */
export function formatMoney(minor: number, currency: string, locale: Locale): string {
  const format = new Intl.NumberFormat(INTL_LOCALE[locale], { style: "currency", currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

export function formatDateTime(iso: string, timeZone: string, locale: Locale): string {
  const options: Intl.DateTimeFormatOptions = {
    dateStyle: "full",
    timeStyle: "short",
    timeZone,
    // Argentina writes 20:00, not 8:00 p. m.
    ...(locale === "es" ? { hourCycle: "h23" as const } : {}),
  };
  try {
    return new Intl.DateTimeFormat(INTL_LOCALE[locale], options).format(new Date(iso));
  } catch {
    // An unknown zone (hand-edited row) still yields a readable UTC date.
    return new Intl.DateTimeFormat(INTL_LOCALE[locale], { ...options, timeZone: "UTC" })
      .format(new Date(iso)) + " UTC";
  }
}
