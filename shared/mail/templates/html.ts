/** HTML building blocks for mail: escaping and one table-based layout most clients render. */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Every value escaped: the shape strings.ts's phrase functions take for HTML output. */
export function escapeAll<T extends Record<string, unknown>>(values: T): Record<keyof T, string> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, escapeHtml(value)]),
  ) as Record<keyof T, string>;
}

/** Subjects are one line; a newline from user data must not reach a mail header. */
export function oneLine(value: string, max = 200): string {
  return value.replace(/[\r\n\t]+/g, " ").trim().slice(0, max);
}

/** The outer document; `body` must already be safe HTML. */
export function layout(lang: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title></head>
<body style="margin:0;padding:0;background:#f4f4f5;font-family:Arial,Helvetica,sans-serif;color:#18181b">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" width="600" cellpadding="24" cellspacing="0" style="max-width:600px;background:#ffffff">
<tr><td><p style="font-size:20px;font-weight:bold;margin:0 0 16px">Crodify</p>
${body}
</td></tr></table></td></tr></table></body></html>`;
}

export const p = (safeHtml: string) => `<p style="margin:0 0 12px;line-height:1.5">${safeHtml}</p>`;

/** A two-column label/value table; labels and values are escaped here. */
export function details(rows: Array<[string, string]>): string {
  const cells = rows.map(([label, value]) =>
    `<tr><td style="color:#71717a;padding:2px 12px 2px 0">${escapeHtml(label)}</td>` +
    `<td>${escapeHtml(value)}</td></tr>`
  );
  return `<table role="presentation" cellpadding="0" cellspacing="0" style="margin:0 0 16px">${
    cells.join("")
  }</table>`;
}

/** The same label/value list as plain text. */
export function textDetails(rows: Array<[string, string]>): string {
  return rows.map(([label, value]) => `${label}: ${value}`).join("\n");
}
