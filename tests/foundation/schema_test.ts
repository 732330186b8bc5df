import assert from "node:assert/strict";
import { dbTest, setupHarness } from "../support/harness.ts";
import { applyMigrations } from "../../shared/db/migrate.ts";
import { makeUser } from "../support/builders.ts";

dbTest("every table in public has row level security enabled", async () => {
  const { sql } = await setupHarness();
  const tables = await sql<{ name: string; rls: boolean }[]>`
    select c.relname as name, c.relrowsecurity as rls
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p')`;
  assert.ok(tables.length >= 5, "the schema has tables");
  assert.deepEqual(tables.filter((t) => !t.rls).map((t) => t.name), []);
});

dbTest("migrations are idempotent: a second run applies nothing", async () => {
  const { sql } = await setupHarness();
  assert.deepEqual(await applyMigrations(sql), []);
});

dbTest("the access-token hook writes user_roles into the claims", async () => {
  const { sql } = await setupHarness();
  const user = await makeUser(sql, ["scanner"]);
  const [{ event }] = await sql<{ event: { claims: { user_roles: string[] } } }[]>`
    select public.custom_access_token_hook(${
    sql.json({ user_id: user.id, claims: { sub: user.id, role: "authenticated" } })
  }) as event`;
  assert.deepEqual(event.claims.user_roles, ["user", "scanner"]);
});

dbTest("a new auth user gets a profile", async () => {
  const { sql } = await setupHarness();
  const user = await makeUser(sql);
  const [profile] = await sql`select email from public.profiles where id = ${user.id}`;
  assert.equal(profile.email, user.email);
});

dbTest(
  "RLS: anon sees published events only and cannot write; audit_log is admin-only",
  async () => {
    const { sql } = await setupHarness();
    const { makeEvent } = await import("../support/builders.ts");
    const { asPostgrestRole, pgErrorCode } = await import("../support/rls.ts");
    const published = await makeEvent(sql, { status: "published" });
    const draft = await makeEvent(sql, { status: "draft" });
    await sql`insert into public.audit_log (action, entity) values ('probe', 'test')`;
    const visible = await asPostgrestRole(
      sql,
      "anon",
      {},
      (tx) => tx`select id from public.events where id in (${published.id}, ${draft.id})`,
    );
    assert.deepEqual(
      visible.map((r) => r.id),
      [published.id],
    );
    const insert = await asPostgrestRole(
      sql,
      "anon",
      {},
      (tx) =>
        pgErrorCode(() =>
          tx`insert into public.events (slug, title, starts_at, ends_at)
                         values ('x', 'x', now(), now() + interval '1h')`
        ),
    );
    assert.equal(insert, "42501");
    const user = await makeUser(sql);
    const audit = await asPostgrestRole(sql, "authenticated", {
      sub: user.id,
      user_roles: ["user"],
    }, (tx) => tx`select count(*)::int as n from public.audit_log`);
    assert.equal(audit[0].n, 0);
    const adminAudit = await asPostgrestRole(sql, "authenticated", {
      sub: user.id,
      user_roles: ["user", "admin"],
    }, (tx) => tx`select count(*)::int as n from public.audit_log`);
    assert.ok(adminAudit[0].n >= 1);
  },
);

Deno.test({
  name: "migrations and the seed also apply on the embedded PGlite, idempotently",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const { startEmbeddedDatabase } = await import("../../shared/db/embedded.ts");
    const { createSql } = await import("../../shared/db/connect.ts");
    const { prepareDatabase } = await import("../../shared/db/migrate.ts");
    const embedded = await startEmbeddedDatabase(undefined);
    const sql = createSql(embedded.url, { max: 1 });
    try {
      const first = await prepareDatabase(sql, { seed: true });
      assert.equal(first.fresh, true);
      assert.ok(first.applied.length >= 2);
      const second = await prepareDatabase(sql, { seed: true });
      assert.deepEqual(second, { fresh: false, applied: [] });
      const [{ n }] = await sql<{ n: number }[]>`
        select count(*)::int as n from public.events where status = 'published'`;
      assert.ok(n >= 1, "the demo catalog is seeded");
    } finally {
      await sql.end();
      await embedded.stop();
    }
  },
});

Deno.test({
  name: "concurrent bootstraps of new databases on one server all succeed (roles are shared)",
  ignore: !Deno.env.get("DATABASE_URL"),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const postgres = (await import("postgres")).default;
    const { ensureLocalSupabase } = await import("../../shared/db/migrate.ts");
    const serverUrl = Deno.env.get("DATABASE_URL")!;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    const names = Array.from({ length: 4 }, (_, i) => `crodify_boot_${Date.now()}_${i}`);
    try {
      for (const name of names) await admin.unsafe(`create database ${name}`);
      const outcomes = await Promise.allSettled(names.map(async (name) => {
        const url = new URL(serverUrl);
        url.pathname = `/${name}`;
        const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
        try {
          await ensureLocalSupabase(sql);
        } finally {
          await sql.end();
        }
      }));
      assert.deepEqual(outcomes.map((o) => o.status === "rejected" ? String(o.reason) : "ok"), [
        "ok",
        "ok",
        "ok",
        "ok",
      ]);
    } finally {
      for (const name of names) await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  },
});
