/**
 * The scan answer is described once (functions/tickets/scan_answer.ts). These
 * tests hold the other places to it: the answers public.checkin_ticket builds
 * and stores, the checkins.result CHECK constraint, the HTTP result, and the
 * README's reason table.
 */
import assert from "node:assert/strict";
import { dbTest, setupHarness } from "../support/harness.ts";
import { callers } from "../support/callers.ts";
import { makeTicket } from "../support/ticket_builders.ts";
import { createTicketsApp } from "../../functions/tickets/routes.ts";
import {
  REASON_CODES,
  ScanAnswerSchema,
  ScanResultSchema,
} from "../../functions/tickets/scan_answer.ts";
import { issueTicketCode } from "../../shared/tickets/codes.ts";

const app = createTicketsApp();
const as = callers(app);
const StoredAnswer = ScanAnswerSchema.omit({ checkin_id: true, replayed: true }).strict();
const HttpResult = ScanResultSchema.strict();

Deno.test("the README's reason table lists exactly the reason codes", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const section = readme.split("### Validation and reason codes")[1].split("\n\n").find((part) =>
    part.startsWith("| result")
  )!;
  const documented = [...section.matchAll(/^\| `(\w+)`/gm)].map((m) => m[1]);
  assert.deepEqual(documented, [...REASON_CODES]);
});

dbTest("checkins.result accepts exactly the reason codes", async () => {
  const { sql } = await setupHarness();
  const [{ definition }] = await sql<{ definition: string }[]>`
    select pg_get_constraintdef(oid) as definition from pg_constraint
     where conname = 'checkins_result_check'`;
  const allowed = [...definition.matchAll(/'(\w+)'::text/g)].map((m) => m[1]);
  assert.deepEqual(allowed.sort(), [...REASON_CODES].sort());
});

dbTest(
  "every scan answer, from SQL or TypeScript, stored or replayed, has the one shape",
  async () => {
    const { sql } = await setupHarness();
    const ticket = await makeTicket(sql);
    const elsewhere = await makeTicket(sql);
    const scanner = await as.asScanner(ticket.eventId);
    const code = await issueTicketCode({ ticketId: ticket.id, eventId: ticket.eventId });
    const scan = async (body: Record<string, unknown>) => {
      const response = await scanner.post("/tickets/validate", {
        event_id: ticket.eventId,
        ...body,
      });
      assert.equal(response.status, 200);
      return HttpResult.parse(response.body);
    };
    const answers = [
      await scan({ code, nonce: "one", gate: "A" }),
      await scan({ code, nonce: "one", gate: "A" }),
      await scan({ code, nonce: "two" }),
      await scan({
        code: await issueTicketCode({ ticketId: elsewhere.id, eventId: elsewhere.eventId }),
      }),
      await scan({ code: "not-a-code" }),
      await scan({ code, direction: "exit" }),
    ];
    assert.deepEqual(
      answers.map((a) => [a.result, a.replayed, a.previous !== null]),
      [
        ["ok", false, false],
        ["ok", true, false],
        ["already_redeemed", false, true],
        ["wrong_event", false, false],
        ["invalid", false, false],
        ["ok", false, false],
      ],
    );
    const offline = await scanner.post("/tickets/validate/batch", {
      event_id: ticket.eventId,
      scans: [{
        code,
        nonce: "off-1",
        scanned_at: new Date().toISOString(),
        offline_result: "revoked",
      }],
    });
    assert.equal(offline.status, 200);
    HttpResult.parse(offline.body.items[0].outcome);
    const stored = await sql<{ answer: unknown }[]>`
    select answer from public.checkins where scanner_id = ${scanner.user!.id} order by id`;
    assert.equal(stored.length, 5); // the replay and the forged code stored nothing
    for (const { answer } of stored) StoredAnswer.parse(answer);
  },
);
