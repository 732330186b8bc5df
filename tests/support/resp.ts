/**
 * A minimal RESP2 client for the test-only Upstash proxy: encodes commands,
 * parses replies, and owns one TCP connection to redis-server.
 *
 * Replies keep RESP's distinctions the proxy needs: a simple string (`+OK`)
 * is a JS string, a bulk string is raw bytes (values may be binary), an
 * error is a RespError value (not thrown, so a pipeline keeps its other
 * replies).
 */

export type RespReply = string | Uint8Array | number | null | RespError | RespReply[];

export class RespError {
  constructor(readonly message: string) {}
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLF = encoder.encode("\r\n");

/** Encodes commands as RESP arrays of bulk strings, ready for one write. */
export function encodeCommands(commands: string[][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const args of commands) {
    parts.push(encoder.encode(`*${args.length}\r\n`));
    for (const arg of args) {
      const bytes = encoder.encode(arg);
      parts.push(encoder.encode(`$${bytes.length}\r\n`), bytes, CRLF);
    }
  }
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Buffered reader: RESP frames rarely align with TCP reads. */
class ReplyReader {
  #buffer: Uint8Array = new Uint8Array(0);

  constructor(private readonly conn: Deno.Conn) {}

  async read(): Promise<RespReply> {
    const line = await this.#line();
    const body = line.slice(1);
    switch (line[0]) {
      case "+":
        return body;
      case "-":
        return new RespError(body);
      case ":":
        return Number(body);
      case "$": {
        const length = Number(body);
        if (length < 0) return null;
        const bytes = await this.#take(length + 2);
        return bytes.slice(0, length);
      }
      case "*": {
        const count = Number(body);
        if (count < 0) return null;
        const items: RespReply[] = [];
        for (let i = 0; i < count; i++) items.push(await this.read());
        return items;
      }
      default:
        throw new Error(`RESP protocol error: unexpected line ${JSON.stringify(line)}`);
    }
  }

  async #line(): Promise<string> {
    for (;;) {
      const end = this.#buffer.indexOf(13);
      if (end >= 0 && end + 1 < this.#buffer.length) {
        const line = decoder.decode(this.#buffer.subarray(0, end));
        this.#buffer = this.#buffer.subarray(end + 2);
        return line;
      }
      await this.#fill();
    }
  }

  async #take(n: number): Promise<Uint8Array> {
    while (this.#buffer.length < n) await this.#fill();
    const bytes = this.#buffer.subarray(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return bytes;
  }

  async #fill(): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.conn.read(chunk);
    if (n === null) throw new Error("redis closed the connection");
    this.#buffer = concat([this.#buffer, chunk.subarray(0, n)]);
  }
}

/**
 * One connection to redis-server. Not safe for concurrent use: callers must
 * hold it exclusively for a whole request (the pool in upstash_proxy does),
 * otherwise replies of interleaved requests would be misattributed.
 */
export class RespConnection {
  readonly #reader: ReplyReader;

  private constructor(private readonly conn: Deno.Conn) {
    this.#reader = new ReplyReader(conn);
  }

  /** Connects to `redis://[:password@]host:port[/db]`, authenticating and selecting the db. */
  static async open(redisUrl: string): Promise<RespConnection> {
    const url = new URL(redisUrl);
    const conn = await Deno.connect({
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || 6379),
    });
    const connection = new RespConnection(conn);
    const setup: string[][] = [];
    if (url.password) {
      const password = decodeURIComponent(url.password);
      setup.push(
        url.username ? ["AUTH", decodeURIComponent(url.username), password] : [
          "AUTH",
          password,
        ],
      );
    }
    const db = url.pathname.slice(1);
    if (db) setup.push(["SELECT", db]);
    const failed = (await connection.send(setup)).find((r) => r instanceof RespError);
    if (failed) {
      connection.close();
      throw new Error(`redis setup failed: ${(failed as RespError).message}`);
    }
    return connection;
  }

  /** Writes all commands at once (pipelined) and reads one reply per command. */
  async send(commands: string[][]): Promise<RespReply[]> {
    if (commands.length === 0) return [];
    const bytes = encodeCommands(commands);
    for (let written = 0; written < bytes.length;) {
      written += await this.conn.write(bytes.subarray(written));
    }
    const replies: RespReply[] = [];
    for (let i = 0; i < commands.length; i++) replies.push(await this.#reader.read());
    return replies;
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed by the peer; nothing left to release.
    }
  }
}
