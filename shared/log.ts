/** Structured JSON logs, one line per record, filtered by LOG_LEVEL. */
import { config } from "./config.ts";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;
export type LogFields = Record<string, unknown>;

export type LogRecord = LogFields & { level: LogLevel; msg: string };

/** While set, records go here instead of stdout (tests assert on what was logged). */
let captured: LogRecord[] | undefined;

function emit(level: LogLevel, msg: string, fields: LogFields = {}): void {
  if (captured) {
    captured.push({ ...fields, level, msg });
    return;
  }
  if (LEVELS[level] < LEVELS[config().LOG_LEVEL]) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** Runs `fn` with every log record (any level) captured instead of printed. */
export async function captureLogs<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; records: LogRecord[] }> {
  const previous = captured;
  const records: LogRecord[] = [];
  captured = records;
  try {
    return { value: await fn(), records };
  } finally {
    captured = previous;
  }
}

export const log = {
  debug: (msg: string, fields?: LogFields) => emit("debug", msg, fields),
  info: (msg: string, fields?: LogFields) => emit("info", msg, fields),
  warn: (msg: string, fields?: LogFields) => emit("warn", msg, fields),
  error: (msg: string, fields?: LogFields) => emit("error", msg, fields),
};

/** An error reduced to what is safe and useful in a log line. */
export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { error: error.message, error_name: error.name, ...(code ? { error_code: code } : {}) };
  }
  return { error: String(error) };
}
