import assert from "node:assert/strict";
import { createHealthApp } from "../../functions/health/routes.ts";
import { setDbForTests } from "../../shared/db/pool.ts";
import { createSql } from "../../shared/db/connect.ts";
import { config } from "../../shared/config.ts";
import { resetCacheForTests } from "../../shared/cache/instance.ts";
import { recordOutcome, resetDependencyHealthForTests } from "../../shared/dependency_health.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callerFor } from "../support/callers.ts";

const api = () => callerFor(createHealthApp());

dbTest("liveness answers with the version", async () => {
  const { status, body } = await api().get("/health");
  assert.equal(status, 200);
  assert.equal(body.status, "ok");
  assert.equal(typeof body.version, "string");
});

dbTest("/health/ready is 200 ready when every dependency answers", async () => {
  const { status, body } = await api().get("/health/ready");
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.status, "ready");
  assert.equal(body.checks.database.ok, true);
  assert.equal(body.checks.redis.ok, true);
  assert.deepEqual(body.degraded, []);
});

dbTest("/health/ready is 200 degraded naming Redis when Redis is unreachable", async () => {
  resetCacheForTests({ url: "http://127.0.0.1:9", token: "nobody-listens" });
  try {
    const { status, body } = await api().get("/health/ready");
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.status, "degraded");
    assert.deepEqual(body.degraded, ["redis"]);
    assert.equal(body.checks.redis.ok, false);
    assert.equal(body.checks.database.ok, true);
    // No dependency's error text for an anonymous caller.
    assert.doesNotMatch(JSON.stringify(body), /refused|127\.0\.0\.1|error/i);
  } finally {
    resetCacheForTests({
      url: config().UPSTASH_REDIS_REST_URL,
      token: config().UPSTASH_REDIS_REST_TOKEN,
    });
  }
});

dbTest("/health/ready is 200 degraded naming Mercado Pago after its last call failed", async () => {
  recordOutcome("mercadopago", false);
  try {
    const { status, body } = await api().get("/health/ready");
    assert.equal(status, 200);
    assert.equal(body.status, "degraded");
    assert.deepEqual(body.degraded, ["mercadopago"]);
    recordOutcome("mercadopago", true);
    assert.equal((await api().get("/health/ready")).body.status, "ready");
  } finally {
    resetDependencyHealthForTests();
  }
});

dbTest("/health/ready is 503 naming the database when its URL points nowhere", async () => {
  const { sql } = await setupHarness();
  const nowhere = createSql("postgres://postgres@127.0.0.1:9/nowhere", { max: 1 });
  setDbForTests(nowhere);
  try {
    const { status, body } = await api().get("/health/ready");
    assert.equal(status, 503);
    assert.equal(body.status, "unavailable");
    assert.equal(body.checks.database.ok, false);
    assert.equal(body.checks.redis.ok, true);
    assert.doesNotMatch(JSON.stringify(body), /ECONNREFUSED|nowhere|error/i);
  } finally {
    setDbForTests(sql);
    await nowhere.end({ timeout: 0 });
  }
});
