/**
 * An Upstash-REST-compatible HTTP proxy over a real redis-server, so tests
 * exercise the real `@upstash/redis` and `@upstash/ratelimit` SDKs without an
 * Upstash account. It speaks what the SDK sends: `POST /` (one command),
 * `POST /pipeline`, `POST /multi-exec`, bearer auth and `Upstash-Encoding:
 * base64`.
 */
import { RespConnection, RespError, type RespReply } from "./resp.ts";

export interface UpstashProxyOptions {
  /** Default redis://127.0.0.1:6379 */
  redisUrl?: string;
  token: string;
  /** 0 (the default) picks a free port. */
  port?: number;
}

/** How the proxy misbehaves, to test fail-open paths. */
export type ProxyFailure = "none" | "error" | "hang";

export interface UpstashProxy {
  url: string;
  token: string;
  /** Every authorized request, so tests can assert which endpoint and encoding the SDK used. */
  requests: { path: string; base64: boolean; commands: string[][] }[];
  /** "error" answers every request with HTTP 500; "hang" holds requests until close(). */
  failWith(mode: ProxyFailure): void;
  /** Stops listening: later requests fail with "connection refused". Idempotent. */
  close(): Promise<void>;
}

type Json = string | number | null | Json[];
type CommandResult = { result: Json } | { error: string };

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Connections are checked out for a whole request, so replies never interleave. */
class ConnectionPool {
  #idle: RespConnection[] = [];
  constructor(readonly redisUrl: string) {}

  async use<T>(work: (connection: RespConnection) => Promise<T>): Promise<T> {
    const connection = this.#idle.pop() ?? await RespConnection.open(this.redisUrl);
    try {
      const result = await work(connection);
      this.#idle.push(connection);
      return result;
    } catch (error) {
      // The connection's protocol state is unknown after a failure.
      connection.close();
      throw error;
    }
  }

  closeAll(): void {
    for (const connection of this.#idle.splice(0)) connection.close();
  }
}

interface Translated {
  command: string[];
  /** Rewrites a successful reply (SCRIPT LOAD must return the client's SHA). */
  reply?: RespReply;
}

/**
 * Redis 7.0 rejects the `allow-key-locking` shebang flag that
 * @upstash/ratelimit's scripts carry, so it is stripped. Stripping changes the
 * body, hence its SHA1: the client's EVALSHA of the original SHA is mapped
 * back to an EVAL of the stripped body it was registered with.
 */
class ScriptRegistry {
  #byClientSha = new Map<string, string>();

  async translate(command: string[]): Promise<Translated> {
    const name = command[0].toLowerCase();
    if ((name === "eval" || name === "eval_ro") && command.length > 1) {
      const body = await this.#register(command[1]);
      return { command: [command[0], body, ...command.slice(2)] };
    }
    if ((name === "evalsha" || name === "evalsha_ro") && command.length > 1) {
      const body = this.#byClientSha.get(command[1].toLowerCase());
      // Unknown SHA: Redis answers NOSCRIPT and the SDK falls back to EVAL.
      if (body === undefined) return { command };
      return { command: [name === "evalsha" ? "EVAL" : "EVAL_RO", body, ...command.slice(2)] };
    }
    if (name === "script" && command[1]?.toLowerCase() === "load" && command.length === 3) {
      const body = await this.#register(command[2]);
      if (body === command[2]) return { command };
      return { command: [command[0], command[1], body], reply: await sha1(command[2]) };
    }
    return { command };
  }

  async #register(script: string): Promise<string> {
    const stripped = stripUnsupportedFlags(script);
    if (stripped !== script) this.#byClientSha.set(await sha1(script), stripped);
    return stripped;
  }
}

function stripUnsupportedFlags(script: string): string {
  const match = /^#!lua([^\n]*)/.exec(script);
  if (!match) return script;
  const flags = /flags=(\S*)/.exec(match[1])?.[1]?.split(",") ?? [];
  const kept = flags.filter((flag) => flag !== "" && flag !== "allow-key-locking");
  const shebang = kept.length > 0 ? `#!lua flags=${kept.join(",")}` : "#!lua";
  return shebang + script.slice(match[0].length);
}

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * With base64 on, Upstash encodes every string result except the status
 * "OK", which @upstash/redis special-cases (`raw === "OK" ? "OK" : decode`).
 */
function toJson(reply: RespReply, base64: boolean): Json {
  if (reply instanceof Uint8Array) {
    return base64 ? reply.toBase64() : new TextDecoder().decode(reply);
  }
  if (typeof reply === "string") {
    return base64 && reply !== "OK" ? new TextEncoder().encode(reply).toBase64() : reply;
  }
  if (reply instanceof RespError) return reply.message;
  if (Array.isArray(reply)) return reply.map((item) => toJson(item, base64));
  return reply;
}

function toResult(reply: RespReply, translated: Translated, base64: boolean): CommandResult {
  if (reply instanceof RespError) return { error: reply.message };
  return { result: toJson(translated.reply ?? reply, base64) };
}

function parseCommand(value: unknown): string[] {
  const valid = Array.isArray(value) && value.length > 0 &&
    value.every((arg) => ["string", "number", "boolean"].includes(typeof arg));
  if (!valid) throw new HttpError(400, "ERR command must be a non-empty array of strings");
  return (value as unknown[]).map(String);
}

function parseCommandList(value: unknown): string[][] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new HttpError(400, "ERR body must be a non-empty array of commands");
  }
  return value.map(parseCommand);
}

/** Starts the proxy in-process; the caller must close() it. */
export async function startUpstashProxy(options: UpstashProxyOptions): Promise<UpstashProxy> {
  const pool = new ConnectionPool(options.redisUrl ?? "redis://127.0.0.1:6379");
  const scripts = new ScriptRegistry();
  let failure: ProxyFailure = "none";
  let releaseHung!: () => void;
  const closing = new Promise<void>((resolve) => releaseHung = resolve);
  const requests: UpstashProxy["requests"] = [];
  let closed: Promise<void> | undefined;
  // Fail at start-up, naming the URL, rather than with a 500 in the middle of a test.
  await pool.use((c) => c.send([["PING"]])).catch((error) => {
    throw new Error(`upstash proxy: redis at ${pool.redisUrl} is unreachable: ${error}`);
  });

  async function run(commands: string[][], base64: boolean): Promise<CommandResult[]> {
    const translated = await Promise.all(commands.map((c) => scripts.translate(c)));
    const replies = await pool.use((c) => c.send(translated.map((t) => t.command)));
    return replies.map((reply, i) => toResult(reply, translated[i], base64));
  }

  /** MULTI/EXEC on one pooled connection; a queueing error aborts the whole transaction. */
  async function runTransaction(commands: string[][], base64: boolean): Promise<CommandResult[]> {
    const translated = await Promise.all(commands.map((c) => scripts.translate(c)));
    const wire = [["MULTI"], ...translated.map((t) => t.command), ["EXEC"]];
    const replies = await pool.use((c) => c.send(wire));
    const exec = replies[replies.length - 1];
    if (exec instanceof RespError) throw new HttpError(400, exec.message);
    if (!Array.isArray(exec)) throw new HttpError(400, "ERR transaction discarded");
    return exec.map((reply, i) => toResult(reply, translated[i], base64));
  }

  async function route(request: Request): Promise<unknown> {
    if (request.headers.get("authorization") !== `Bearer ${options.token}`) {
      throw new HttpError(401, "Unauthorized");
    }
    if (request.method !== "POST") throw new HttpError(405, "ERR only POST is supported");
    const body: unknown = await request.json().catch(() => {
      throw new HttpError(400, "ERR body is not JSON");
    });
    const base64 = request.headers.get("upstash-encoding")?.toLowerCase() === "base64";
    const path = new URL(request.url).pathname;
    if (!["/", "/pipeline", "/multi-exec"].includes(path)) {
      throw new HttpError(404, "ERR not found");
    }
    const commands = path === "/" ? [parseCommand(body)] : parseCommandList(body);
    requests.push({ path, base64, commands });
    switch (path) {
      case "/": {
        const [result] = await run(commands, base64);
        if ("error" in result) throw new HttpError(400, result.error);
        return result;
      }
      case "/pipeline":
        return await run(commands, base64);
      default: // "/multi-exec"
        return await runTransaction(commands, base64);
    }
  }

  async function handle(request: Request): Promise<Response> {
    if (failure === "hang") await closing;
    if (failure !== "none") return Response.json({ error: "injected failure" }, { status: 500 });
    try {
      return Response.json(await route(request));
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      return Response.json({ error: String((error as Error).message ?? error) }, { status });
    }
  }

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
    handle,
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    token: options.token,
    requests,
    failWith(mode) {
      failure = mode;
    },
    close() {
      closed ??= (async () => {
        failure = "error";
        releaseHung();
        await server.shutdown();
        pool.closeAll();
      })();
      return closed;
    },
  };
}
