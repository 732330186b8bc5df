/** Splits a text stream into lines (JSR's @std/streams is unreachable here). */
export class TextLineStream extends TransformStream<string, string> {
  constructor() {
    let buffer = "";
    super({
      transform(chunk, controller) {
        buffer += chunk;
        const lines = buffer.split(/\r?\n/);
        buffer = lines.pop() ?? "";
        for (const line of lines) controller.enqueue(line);
      },
      flush(controller) {
        if (buffer) controller.enqueue(buffer);
      },
    });
  }
}

/** Reads lines until one matches; keeps draining afterwards so the child never blocks. */
export async function waitForLine(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
): Promise<RegExpMatchArray> {
  const lines = stream.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream());
  const reader = lines.getReader();
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the process ended before printing ${pattern}`);
    const match = value.match(pattern);
    if (match) {
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })();
      return match;
    }
  }
}

/** A stream's lines, kept as they arrive. */
export interface LineLog {
  readonly lines: string[];
  /** Resolves with the first line (already seen or still to come) that matches; rejects on timeout or end. */
  waitFor(match: (line: string) => boolean, timeoutMs: number, what?: string): Promise<string>;
  /** Resolves when the stream ends. */
  readonly ended: Promise<void>;
}

/** Reads a process's output into an array as it arrives, so a test can both wait for and inspect it. */
export function collectLines(stream: ReadableStream<Uint8Array>): LineLog {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let finished = false;
  const wake = () => waiters.forEach((waiter) => waiter());
  const ended = (async () => {
    const reader = stream.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream())
      .getReader();
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        lines.push(value);
        wake();
      }
    } catch {
      /* the process was killed mid-line */
    } finally {
      finished = true;
      wake();
    }
  })();

  function waitFor(match: (line: string) => boolean, timeoutMs: number, what = "a line") {
    return new Promise<string>((resolve, reject) => {
      let next = 0;
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      const check = () => {
        for (; next < lines.length; next++) {
          if (match(lines[next])) return done(() => resolve(lines[next]));
        }
        if (finished) done(() => reject(new Error(`the output ended before ${what}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${what} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      waiters.add(check);
      check();
    });
  }

  return { lines, waitFor, ended };
}

/** A child process whose stdout and stderr are read into line logs as they arrive. */
export interface LoggedProcess {
  child: Deno.ChildProcess;
  stdout: LineLog;
  stderr: LineLog;
}

/**
 * Spawns `program` with both output streams piped into `collectLines` (stdin closed unless the
 * options say otherwise): the one way the tests start a process they read from.
 */
export function spawnLogged(program: string, options: Deno.CommandOptions): LoggedProcess {
  const child = new Deno.Command(program, {
    stdin: "null",
    ...options,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return { child, stdout: collectLines(child.stdout), stderr: collectLines(child.stderr) };
}
