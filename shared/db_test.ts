import assert from "node:assert/strict";
import { isTransactionPooler } from "./db/connect.ts";
import { translateDbError } from "./db/errors.ts";

Deno.test("Supabase's transaction pooler port turns prepared statements off", () => {
  assert.equal(
    isTransactionPooler("postgres://u@aws-0-sa-east-1.pooler.supabase.com:6543/postgres"),
    true,
  );
  assert.equal(isTransactionPooler("postgres://u@db.abc.supabase.co:5432/postgres"), false);
});

Deno.test("database guard errors map to stable codes", () => {
  assert.equal(translateDbError({ code: "23505" })?.code, "conflict");
  assert.equal(translateDbError({ code: "55P03" })?.code, "busy");
  assert.equal(translateDbError({ code: "22P02" })?.code, "validation_failed");
  assert.equal(translateDbError(new Error("boom")), undefined);
});
