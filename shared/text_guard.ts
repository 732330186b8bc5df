/**
 * Text PostgreSQL cannot store, caught at the edge. A NUL (U+0000) is valid
 * JSON and valid in a URL, but `text` and `jsonb` refuse it (SQLSTATE 22021,
 * 22P05): left alone it reaches the database and comes back as a 500. Every
 * validated input (query, path, headers, cookies, body — keys too) is walked
 * once here, before its schema, so no route can forget it.
 */
/** One validation problem, as zod reports it and the error response lists it. */
export interface Issue {
  path: ReadonlyArray<PropertyKey>;
  message: string;
  code?: string;
}

const NUL = "\u0000";
// Inputs are bounded by the body limit; the depth bound keeps the walk off the call stack's edge.
const MAX_DEPTH = 64;

/** One issue per string (value or key) holding a NUL, with its path; none when clean. */
export function nulIssues(value: unknown): Issue[] {
  const issues: Issue[] = [];
  walk(value, [], issues, 0);
  return issues;
}

function walk(value: unknown, path: PropertyKey[], issues: Issue[], depth: number): void {
  if (typeof value === "string") {
    if (value.includes(NUL)) issues.push(nulIssue(path));
    return;
  }
  if (typeof value !== "object" || value === null) return;
  if (depth >= MAX_DEPTH) {
    issues.push({ path, message: "Nested too deeply", code: "too_deep" });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(item, [...path, index], issues, depth + 1));
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (key.includes(NUL)) issues.push(nulIssue([...path, key.replaceAll(NUL, "\\u0000")]));
    walk(item, [...path, key], issues, depth + 1);
  }
}

const nulIssue = (path: PropertyKey[]): Issue => ({
  path,
  message: "Text must not contain NUL (\\u0000) characters",
  code: "invalid_characters",
});

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The body's text, or undefined when its bytes are not valid UTF-8. */
export function decodeUtf8(bytes: ArrayBuffer): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}
