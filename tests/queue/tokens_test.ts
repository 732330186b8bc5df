import assert from "node:assert/strict";
import { makeUsers } from "../support/builders.ts";
import { generateKeyEntry, parseKeyring } from "../../shared/tickets/keys.ts";
import {
  admissionKeys,
  setAdmissionKeysForTests,
  signAdmission,
} from "../../shared/queue/tokens.ts";
import { buyWith, queuedEvent, queueEnv, queueTest } from "./env.ts";
import { key, purchaseBody } from "../purchases/env.ts";

/** 403s every bad token must get, and that none of them left a hold behind. */
queueTest(
  "admission tokens: forged, expired, replayed, another user's or event's → 403, no hold",
  async () => {
    const { sql, admin, buyer } = await queueEnv();
    const { event, ticketType } = await queuedEvent(sql, admin, { capacity: 10 });
    const other = await queuedEvent(sql, admin, { capacity: 10 });
    const [a, b, c] = await Promise.all((await makeUsers(sql, 3)).map(buyer));
    const tokenOf = async (who: typeof a, eventId = event.id) => {
      const res = await who.queue.post(`/queue/${eventId}/join`);
      assert.equal(res.body.state, "admitted", JSON.stringify(res.body));
      return res.body.admission.token as string;
    };
    const ta = await tokenOf(a);
    await tokenOf(b);
    const [payload, signature] = ta.split(".");
    const flipped = signature.slice(0, 10) + (signature[10] === "A" ? "B" : "A") +
      signature.slice(11);
    // A well-signed token from a key the server does not know.
    const ours = await admissionKeys();
    setAdmissionKeysForTests(await parseKeyring(JSON.stringify([await generateKeyEntry("rogue")])));
    const rogue = await signAdmission({
      eventId: event.id,
      userId: a.user.id,
      tokenId: "1.1",
      expiresAt: Math.floor(Date.now() / 1000) + 600,
    });
    setAdmissionKeysForTests(ours);
    const expired = await signAdmission({
      eventId: event.id,
      userId: a.user.id,
      tokenId: "9.9",
      expiresAt: Math.floor(Date.now() / 1000) - 1,
    });
    const cases: Array<[string, typeof a, string, string | undefined, string]> = [
      ["none", a, event.id, undefined, "admission_required"],
      ["garbage", a, event.id, "not-a-token", "admission_invalid"],
      ["flipped signature", a, event.id, `${payload}.${flipped}`, "admission_invalid"],
      ["unknown key", a, event.id, rogue, "admission_invalid"],
      ["expired", a, event.id, expired, "admission_expired"],
      ["another user's", b, event.id, ta, "admission_wrong_user"],
      ["another event's", a, other.event.id, ta, "admission_wrong_event"],
    ];
    for (const [name, who, eventId, token, code] of cases) {
      const typeId = eventId === event.id ? ticketType.id : other.ticketType.id;
      const res = await buyWith(who, eventId, typeId, token);
      assert.deepEqual([res.status, res.body.error?.code], [403, code], name);
    }
    const [{ orders }] = await sql`select count(*)::int as orders from public.orders
                                   where event_id in (${event.id}, ${other.event.id})`;
    assert.equal(orders, 0, "no refused token left an order");

    // The real token works once; a replay with a new key is refused, with the same key replays.
    const headers = key();
    const body = { ...purchaseBody(event.id, ticketType.id), admission_token: ta };
    const first = await a.purchases.post("/purchases", body, headers);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const replay = await a.purchases.post("/purchases", body, headers);
    assert.deepEqual([replay.status, replay.body.order_id], [200, first.body.order_id]);
    const reused = await buyWith(a, event.id, ticketType.id, ta);
    assert.deepEqual([reused.status, reused.body.error.code], [403, "admission_used"]);

    // Twenty concurrent purchases with one token: exactly one hold.
    const tc = await tokenOf(c);
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => buyWith(c, event.id, ticketType.id, tc)),
    );
    const outcomes = burst.map((r) => r.status === 201 ? "created" : r.body.error.code).sort();
    assert.deepEqual(outcomes, [...Array(19).fill("admission_used"), "created"]);

    // One live hold per account: a fresh admission does not buy a second hold.
    const again = await a.queue.post(`/queue/${event.id}/join`);
    assert.equal(again.body.state, "admitted");
    const second = await buyWith(a, event.id, ticketType.id, again.body.admission.token);
    assert.deepEqual([second.status, second.body.error.code], [409, "hold_exists"]);
    const [{ held }] = await sql`select public.ticket_type_held(${ticketType.id}) as held`;
    assert.equal(held, 2);
    const [{ used }] = await sql`select count(*)::int as used from public.queue_admissions_used
                                 where event_id = ${event.id} and order_id is not null`;
    assert.equal(used, 2);
  },
);
