import assert from "node:assert/strict";
import { CircuitBreaker, CircuitOpenError } from "./circuit_breaker.ts";

function clockedBreaker(threshold = 3, cooldownMs = 1000) {
  const clock = { t: 0 };
  const transitions: string[] = [];
  const breaker = new CircuitBreaker({
    name: "test",
    failureThreshold: threshold,
    cooldownMs,
    now: () => clock.t,
    onStateChange: (from, to) => transitions.push(`${from}->${to}`),
  });
  return { breaker, clock, transitions };
}

const fail = () => Promise.reject(new Error("down"));
const ok = () => Promise.resolve("up");

Deno.test("opens after N consecutive failures and then refuses without calling", async () => {
  const { breaker } = clockedBreaker(3);
  for (let i = 0; i < 3; i++) await assert.rejects(breaker.run(fail), /down/);
  assert.equal(breaker.state, "open");
  let called = false;
  await assert.rejects(
    breaker.run(() => {
      called = true;
      return ok();
    }),
    CircuitOpenError,
  );
  assert.equal(called, false);
});

Deno.test("a success resets the consecutive count", async () => {
  const { breaker } = clockedBreaker(3);
  await assert.rejects(breaker.run(fail));
  await assert.rejects(breaker.run(fail));
  await breaker.run(ok);
  await assert.rejects(breaker.run(fail));
  await assert.rejects(breaker.run(fail));
  assert.equal(breaker.state, "closed");
});

Deno.test("after the cooldown it probes once: success closes, failure reopens", async () => {
  const { breaker, clock, transitions } = clockedBreaker(2, 1000);
  await assert.rejects(breaker.run(fail));
  await assert.rejects(breaker.run(fail));
  clock.t = 999;
  await assert.rejects(breaker.run(ok), CircuitOpenError);
  clock.t = 1000;
  assert.equal(breaker.state, "half_open");
  await assert.rejects(breaker.run(fail), /down/);
  assert.equal(breaker.state, "open", "a failed probe reopens at once");
  clock.t = 1500;
  await assert.rejects(breaker.run(ok), CircuitOpenError, "a fresh cooldown started");
  clock.t = 2000;
  assert.equal(await breaker.run(ok), "up");
  assert.equal(breaker.state, "closed");
  assert.deepEqual(transitions, [
    "closed->open",
    "open->half_open",
    "half_open->open",
    "open->half_open",
    "half_open->closed",
  ]);
});

Deno.test("half-open lets a single probe through while others fail fast", async () => {
  const { breaker, clock } = clockedBreaker(1, 10);
  await assert.rejects(breaker.run(fail));
  clock.t = 10;
  let release!: () => void;
  const probe = breaker.run(() => new Promise<string>((r) => release = () => r("up")));
  await assert.rejects(breaker.run(ok), CircuitOpenError);
  release();
  assert.equal(await probe, "up");
  assert.equal(await breaker.run(ok), "up");
});

Deno.test("isFailure counts a returned value as a failure", async () => {
  const { breaker } = clockedBreaker(2);
  const status500 = () => Promise.resolve({ status: 500 });
  const isFailure = (r: { status: number }) => r.status >= 500;
  assert.deepEqual(await breaker.run(status500, isFailure), { status: 500 });
  await breaker.run(status500, isFailure);
  assert.equal(breaker.state, "open");
});
