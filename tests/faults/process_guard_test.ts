/**
 * An error nobody awaited (a driver callback throwing in a timer, a promise
 * rejected after its request answered) is logged and the process goes on.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

const SCRIPT = `
import { guardProcess } from "./shared/process_guard.ts";
guardProcess();
setTimeout(() => { throw new TypeError("Cannot read properties of null (reading 'write')"); }, 10);
Promise.reject(Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" }));
setTimeout(() => console.log("still serving"), 200);
`;

Deno.test("guardProcess keeps the process alive through uncaught errors and rejections", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", SCRIPT],
    cwd: ROOT,
    env: { NO_COLOR: "1", LOG_LEVEL: "info" },
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  assert.match(stdout, /still serving/);
  const logged = stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  assert.deepEqual(logged.map((r) => r.msg).sort(), [
    "uncaught error (process kept alive)",
    "unhandled rejection (process kept alive)",
  ]);
  assert.equal(logged.find((r) => r.error_code)?.error_code, "CONNECTION_CLOSED");
});
