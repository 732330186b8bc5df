import assert from "node:assert/strict";
import { isTransactionPooler } from "./connect.ts";
import { isConnectionLoss, translateDbError } from "./errors.ts";
import { statusFor } from "../errors.ts";

Deno.test("Supabase's transaction pooler port turns prepared statements off", () => {
  assert.equal(
    isTransactionPooler("postgres://u@aws-0-sa-east-1.pooler.supabase.com:6543/postgres"),
    true,
  );
  assert.equal(isTransactionPooler("postgres://u@db.abc.supabase.co:5432/postgres"), false);
});

Deno.test("DB_TRANSACTION_POOLER overrides the port: a PgBouncer on 6432, a direct 6543", () => {
  assert.equal(isTransactionPooler("postgres://u@pgbouncer:6432/postgres", "true"), true);
  assert.equal(isTransactionPooler("postgres://u@pgbouncer:6432/postgres"), false);
  assert.equal(isTransactionPooler("postgres://u@db.internal:6543/postgres", "false"), false);
});

Deno.test("database guard errors map to stable codes", () => {
  assert.equal(translateDbError({ code: "23505" })?.code, "conflict");
  assert.equal(translateDbError({ code: "55P03" })?.code, "busy");
  assert.equal(translateDbError({ code: "22P02" })?.code, "validation_failed");
  assert.equal(translateDbError(new Error("boom")), undefined);
});

Deno.test("a database that is down, restarting or too slow is 503 unavailable, never a 500", () => {
  const driver = (code: string) => Object.assign(new Error(`write ${code}`), { code });
  for (
    const error of [
      { code: "57P01" }, // admin_shutdown: pg_ctl restart -m fast
      { code: "57P02" }, // crash_shutdown
      { code: "57P03" }, // cannot_connect_now: starting up
      { code: "08006" }, // connection_failure
      { code: "08P01" }, // protocol_violation
      { code: "53300" }, // too_many_connections
      { code: "57014" }, // statement_timeout
      driver("CONNECTION_CLOSED"),
      driver("CONNECTION_ENDED"),
      driver("CONNECT_TIMEOUT"),
      driver("ECONNRESET"),
      driver("ECONNREFUSED"),
      driver("CONNECTION_QUEUE_TIMEOUT"), // the pool stayed exhausted for DB_POOL_WAIT_MS
    ]
  ) {
    const mapped = translateDbError(error);
    assert.equal(mapped?.code, "unavailable", JSON.stringify(error));
    assert.equal(statusFor(mapped!), 503);
    assert.deepEqual(mapped?.details, { retry_after_seconds: 2 });
  }
  // A lock wait that timed out is contention, not an outage.
  assert.equal(translateDbError({ code: "55P03" })?.code, "busy");
  assert.equal(isConnectionLoss({ code: "55P03" }), false);
  assert.equal(isConnectionLoss({ code: "ECONNRESET" }), true);
  // A pool wait that ran out is not retried as a lost connection: it would only queue again.
  assert.equal(isConnectionLoss({ code: "CONNECTION_QUEUE_TIMEOUT" }), false);
});
