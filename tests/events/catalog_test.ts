/** The public catalog: filters, keyset pagination, live availability, cache behaviour. */
import assert from "node:assert/strict";
import { createEventsApp } from "../../functions/events/routes.ts";
import { config } from "../../shared/config.ts";
import { resetCacheForTests } from "../../shared/cache/instance.ts";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callers } from "../support/callers.ts";
import { makeEvent, makeUser } from "../support/builders.ts";
import { makeHold, makePaidOrder, makeTicketType } from "../support/events_builders.ts";
import type { Sql } from "../../shared/db/mod.ts";

const as = () => callers(createEventsApp());
const tagged = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;

/** Inserts `count` published events titled "<tag> show <i>", three per start time. */
async function insertTagged(sql: Sql, tag: string, from: number, count: number, hoursAhead = 24) {
  const rows = await sql<{ id: string }[]>`
    insert into public.events (slug, title, venue, starts_at, ends_at, status)
    select ${tag} || '-' || i, ${tag} || ' show ' || i, 'Hall',
           -- microseconds a JS Date cannot hold, and ties on starts_at: both must page exactly
           date_trunc('hour', now()) + make_interval(hours => ${hoursAhead} + i / 3)
             + interval '123457 microseconds',
           date_trunc('hour', now()) + make_interval(hours => ${hoursAhead} + i / 3 + 2),
           'published'
      from generate_series(${from}::int, ${from + count - 1}::int) i
    returning id`;
  return rows.map((r) => r.id);
}

dbTest("pagination returns each of 260 events exactly once while events are inserted", async () => {
  const { sql } = await setupHarness();
  const anon = as().asAnon();
  const tag = tagged();
  const original = await insertTagged(sql, tag, 1, 260);
  const seen = new Map<string, number>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: string = `/events?q=${tag}&limit=37${cursor ? `&cursor=${cursor}` : ""}`;
    const { status, body } = await anon.get(query);
    assert.equal(status, 200, JSON.stringify(body));
    for (const item of body.items) seen.set(item.id, (seen.get(item.id) ?? 0) + 1);
    cursor = body.next_cursor;
    pages++;
    // Between pages: one event sorting before the cursor, one among the rows still to come.
    await insertTagged(sql, tag, 1000 + pages * 2, 1, 0);
    await insertTagged(sql, tag, 2000 + pages * 2, 1, 24 * 30);
  } while (cursor && pages < 50);
  assert.ok(pages >= 8, `paged ${pages} times`);
  assert.deepEqual(original.filter((id) => seen.get(id) !== 1), []);
  assert.deepEqual([...seen.values()].filter((n) => n !== 1), [], "nothing is returned twice");
});

dbTest("list filters: upcoming vs past, date range, text search, admin-only statuses", async () => {
  const { sql } = await setupHarness();
  const tag = tagged();
  const past = await makeEvent(sql, { title: `${tag} gone`, startsInHours: -48 });
  const soon = await makeEvent(sql, { title: `${tag} soon`, startsInHours: 24 });
  const later = await makeEvent(sql, { title: `${tag} later`, startsInHours: 24 * 40 });
  const draft = await makeEvent(sql, { title: `${tag} draft`, status: "draft" });
  const byVenue = await makeEvent(sql, { title: "Other", venue: `${tag} Arena 100%` });
  const anon = as().asAnon();
  const ids = async (query: string) => {
    const { status, body } = await anon.get(`/events?${query}`);
    assert.equal(status, 200, JSON.stringify(body));
    return body.items.map((e: { id: string }) => e.id);
  };
  assert.deepEqual(await ids(`q=${tag}`), [soon.id, byVenue.id, later.id]);
  assert.deepEqual(await ids(`q=${tag}&when=past`), [past.id]);
  assert.deepEqual(await ids(`q=${tag}&when=all`), [past.id, soon.id, byVenue.id, later.id]);
  const to = new Date(Date.now() + 10 * 86_400_000).toISOString();
  assert.deepEqual(await ids(`q=${tag}&to=${encodeURIComponent(to)}`), [soon.id, byVenue.id]);
  assert.deepEqual(await ids(`q=${encodeURIComponent(`${tag} Arena 100%`)}`), [byVenue.id]);
  assert.deepEqual(await ids(`q=${tag}%25`), [], "% is text, not a wildcard");
  const admin = await as().asAdmin();
  const { body } = await admin.get(`/events?q=${tag}&status=draft&when=all`);
  assert.deepEqual(body.items.map((e: { id: string }) => e.id), [draft.id]);
});

dbTest("past events page newest first, each once", async () => {
  const { sql } = await setupHarness();
  const tag = tagged();
  const ids = await insertTagged(sql, tag, 1, 7, -24 * 10);
  const anon = as().asAnon();
  const got: string[] = [];
  let cursor: string | null = null;
  do {
    const { body }: { body: { items: { id: string }[]; next_cursor: string | null } } = await anon
      .get(`/events?q=${tag}&when=past&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
    got.push(...body.items.map((e) => e.id));
    cursor = body.next_cursor;
  } while (cursor);
  assert.equal(got.length, 7);
  assert.deepEqual(new Set(got), new Set(ids));
  const [{ first }] = await sql`select id as first from public.events where id = any(${ids})
                                 order by starts_at desc, id desc limit 1`;
  assert.equal(got[0], first);
});

dbTest("detail: active ticket types with live availability, by id and by slug", async () => {
  const { sql } = await setupHarness();
  const event = await makeEvent(sql);
  const buyer = await makeUser(sql);
  const main = await makeTicketType(sql, event.id, { name: "Main", capacity: 10, sortOrder: 1 });
  const tiny = await makeTicketType(sql, event.id, { name: "Tiny", capacity: 2, sortOrder: 2 });
  await makeTicketType(sql, event.id, { name: "Hidden", isActive: false });
  const spec = { buyerId: buyer.id, eventId: event.id, unitPrice: 100 };
  await makePaidOrder(sql, { ...spec, ticketTypeId: main.id, quantity: 3 });
  await makeHold(sql, { ...spec, ticketTypeId: main.id, quantity: 2 });
  await makeHold(sql, { ...spec, ticketTypeId: main.id, quantity: 4 }, -1); // expired: never counts
  await makePaidOrder(sql, { ...spec, ticketTypeId: tiny.id, quantity: 2 });
  for (const ref of [event.id, event.slug]) {
    const { status, body } = await as().asAnon().get(`/events/${ref}`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.id, event.id);
    assert.deepEqual(
      body.ticket_types.map((t: Record<string, unknown>) => [t.name, t.available, t.sold_out]),
      [["Main", 5, false], ["Tiny", 0, true]],
    );
    assert.equal(body.ticket_types[0].on_sale, true);
    assert.equal(body.sold_out, false);
  }
});

dbTest("update-then-read through the real cache sees the change immediately", async () => {
  const { sql } = await setupHarness();
  if (Deno.env.get("REDIS_URL")) assert.ok(config().UPSTASH_REDIS_REST_URL, "Upstash path");
  const tag = tagged();
  const event = await makeEvent(sql, { title: `${tag} before` });
  const anon = as().asAnon();
  const admin = await as().asAdmin();
  const title = async (path: string) => {
    const { body } = await anon.get(path);
    return body.title ?? body.items.map((e: { title: string }) => e.title).join();
  };
  assert.equal(await title(`/events/${event.id}`), `${tag} before`);
  assert.equal(await title(`/events?q=${tag}`), `${tag} before`);
  // Behind the API's back: the cached copies keep answering, so the cache is really used.
  await sql`update public.events set title = ${`${tag} sneaky`} where id = ${event.id}`;
  assert.equal(await title(`/events/${event.id}`), `${tag} before`);
  assert.equal(await title(`/events?q=${tag}`), `${tag} before`);
  const put = await admin.put(`/events/${event.id}`, { title: `${tag} after` });
  assert.equal(put.status, 200);
  assert.equal(await title(`/events/${event.id}`), `${tag} after`);
  assert.equal(await title(`/events?q=${tag}`), `${tag} after`);
  // Ticket type writes invalidate too: a new type shows on the very next read.
  await admin.post(`/events/${event.id}/ticket-types`, { name: "Late", price: 5, capacity: 9 });
  const { body } = await anon.get(`/events/${event.id}`);
  assert.deepEqual(body.ticket_types.map((t: { name: string }) => t.name), ["Late"]);
});

dbTest("with Redis down, reads and writes still succeed", async () => {
  const { sql } = await setupHarness();
  const event = await makeEvent(sql);
  const admin = await as().asAdmin();
  resetCacheForTests({ url: "http://127.0.0.1:9", token: "x" });
  try {
    const anon = as().asAnon();
    assert.equal((await anon.get("/events")).status, 200);
    assert.equal((await anon.get(`/events/${event.id}`)).status, 200);
    assert.equal((await admin.put(`/events/${event.id}`, { title: "Offline edit" })).status, 200);
    const { status, body } = await anon.get(`/events/${event.id}`);
    assert.equal(status, 200);
    assert.equal(body.title, "Offline edit");
  } finally {
    resetCacheForTests({
      url: config().UPSTASH_REDIS_REST_URL,
      token: config().UPSTASH_REDIS_REST_TOKEN,
      prefix: `crodify_test:events:${Deno.pid}:${Date.now()}:`,
    });
  }
});
