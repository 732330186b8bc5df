import assert from "node:assert/strict";
import { createHealthApp } from "../../functions/health/routes.ts";
import { setDbForTests } from "../../shared/db.ts";
import { createSql } from "../../shared/db/connect.ts";
import { config } from "../../shared/config.ts";
import { resetCacheForTests } from "../../shared/cache.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callerFor } from "../support/callers.ts";

const api = () => callerFor(createHealthApp());

dbTest("liveness answers with the version", async () => {
  const { status, body } = await api().get("/health");
  assert.equal(status, 200);
  assert.equal(body.status, "ok");
  assert.equal(typeof body.version, "string");
});

dbTest("/health/ready is 200 when the database and Redis answer", async () => {
  const { status, body } = await api().get("/health/ready");
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.checks.database.ok, true);
  assert.equal(body.checks.redis.ok, true);
});

dbTest("/health/ready is 503 naming Redis when Redis is unreachable", async () => {
  resetCacheForTests({ url: "http://127.0.0.1:9", token: "nobody-listens" });
  try {
    const { status, body } = await api().get("/health/ready");
    assert.equal(status, 503);
    assert.equal(body.status, "unavailable");
    assert.equal(body.checks.redis.ok, false);
    assert.equal(body.checks.database.ok, true);
  } finally {
    resetCacheForTests({
      url: config().UPSTASH_REDIS_REST_URL,
      token: config().UPSTASH_REDIS_REST_TOKEN,
    });
  }
});

dbTest("/health/ready is 503 naming the database when its URL points nowhere", async () => {
  const { sql } = await setupHarness();
  const nowhere = createSql("postgres://postgres@127.0.0.1:9/nowhere", { max: 1 });
  setDbForTests(nowhere);
  try {
    const { status, body } = await api().get("/health/ready");
    assert.equal(status, 503);
    assert.equal(body.checks.database.ok, false);
    assert.equal(body.checks.redis.ok, true);
  } finally {
    setDbForTests(sql);
    await nowhere.end({ timeout: 0 });
  }
});
