/**
 * The concurrency checks a deployment must pass, fired at a deployment's
 * origins (`at(i)` is the functions base the i-th client calls; two servers
 * alternate, one deployment always answers the same): a flash sale that holds
 * exactly the capacity, every payment notified twice and paid once, and a
 * burst of scans of one ticket that admits it once.
 */
import assert from "node:assert/strict";
import { assignStaff, makeUser } from "../support/builders.ts";
import { makeBuyers, signedNotification } from "../support/purchase_builders.ts";
import { hs256Token } from "../support/tokens.ts";
import { tally } from "../support/outcomes.ts";
import { eventOnSale, purchaseBody } from "../purchases/env.ts";
import type { ProductionStack } from "./stack.ts";

/** The functions base (…/functions/v1) the i-th client calls. */
export type Origins = (i: number) => string;

type User = { id: string; email: string; roles: string[] };

/** A JSON call as a client of `at(i)` makes it (a fresh Idempotency-Key on every write). */
export function caller(at: Origins) {
  return async (i: number, path: string, token: string | undefined, body?: unknown) => {
    const response = await fetch(`${at(i)}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        "content-type": "application/json",
        "idempotency-key": crypto.randomUUID(),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
}

const tokenFor = (stack: ProductionStack) => (u: User) =>
  hs256Token({ sub: u.id, email: u.email, roles: u.roles as never }, stack.jwtSecret);

export interface FlashSale {
  eventId: string;
  ticketTypeId: string;
  /** The orders created, with the index of the buyer who placed each. */
  orders: { order_id: string; total: number; buyer: number }[];
  buyers: User[];
  tokens: string[];
}

/** `buyers` buyers at once for `capacity` places: exactly `capacity` held, the rest sold_out. */
export async function flashSale(
  stack: ProductionStack,
  at: Origins,
  { buyers: count, capacity }: { buyers: number; capacity: number },
): Promise<FlashSale> {
  const call = caller(at);
  const { event, ticketType } = await eventOnSale(
    stack.sql,
    { capacity, price: 10_000 },
    { startsInHours: 1, durationHours: 4 },
  );
  const buyers = await makeBuyers(stack.sql, count);
  const tokens = await Promise.all(buyers.map(tokenFor(stack)));
  const responses = await Promise.all(
    tokens.map((tk, i) => call(i, "/purchases", tk, purchaseBody(event.id, ticketType.id))),
  );
  const outcomes = responses.map((r) =>
    r.status === 201 ? "created" : `${r.status} ${r.body.error?.code}`
  );
  assert.deepEqual(tally(outcomes), { created: capacity, "409 sold_out": count - capacity });
  const [counts] = await stack.sql`
    select public.ticket_type_held(${ticketType.id}) as held,
           (select count(*)::int from public.orders where event_id = ${event.id}) as orders`;
  assert.deepEqual({ ...counts }, { held: capacity, orders: capacity });
  return {
    eventId: event.id,
    ticketTypeId: ticketType.id,
    orders: responses.flatMap((r, buyer) => r.status === 201 ? [{ ...r.body, buyer }] : []),
    buyers,
    tokens,
  };
}

/**
 * Approves every order of the sale at the fake Mercado Pago and delivers each
 * notification twice, once through `at(0)` and once through `at(1)`: every
 * delivery is 200 and every order ends paid exactly once (a delivery that met
 * a busy row is left to the sweep, called here as `deno task worker` would).
 */
export async function payEveryOrderTwice(stack: ProductionStack, at: Origins, sale: FlashSale) {
  const secret = stack.env.MERCADOPAGO_WEBHOOK_SECRET;
  const deliveries = await Promise.all(sale.orders.flatMap((order) => {
    const paymentId = stack.mercadoPago.addPayment({
      status: "approved",
      external_reference: order.order_id,
      transaction_amount: order.total / 100,
      currency_id: "ARS",
    });
    return [0, 1].map(async (i) => {
      const n = await signedNotification(paymentId, { secret });
      const response = await fetch(`${at(i)}${n.path}`, {
        method: "POST",
        headers: n.headers,
        body: JSON.stringify(n.body),
      });
      const body = await response.json();
      // An error names its code in the tally (a 503 `busy` and a 503 `unavailable` differ).
      return `${response.status} ${body.state ?? body.error?.code}`;
    });
  }));
  console.log("webhook deliveries:", JSON.stringify(tally(deliveries)));
  assert.ok(deliveries.every((d) => d.startsWith("200 ")), JSON.stringify(tally(deliveries)));
  const deadline = Date.now() + 90_000;
  for (let round = 0; Date.now() < deadline; round++) {
    const [{ pending }] = await stack.sql`
      select count(*)::int as pending from public.orders
       where event_id = ${sale.eventId} and status <> 'paid'`;
    if (pending === 0) break;
    const sweep = await fetch(`${at(round)}/purchases/sweep`, {
      method: "POST",
      headers: { "x-scheduler-secret": stack.env.SCHEDULER_SECRET },
    });
    assert.equal(sweep.status, 200, await sweep.text());
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  const capacity = sale.orders.length;
  const [after] = await stack.sql`
    select public.ticket_type_held(${sale.ticketTypeId}) as held,
           (select sold from public.ticket_types where id = ${sale.ticketTypeId}) as sold,
           (select count(*)::int from public.tickets where ticket_type_id = ${sale.ticketTypeId})
             as tickets`;
  assert.deepEqual({ ...after }, { held: 0, sold: capacity, tickets: capacity });
}

/**
 * `scans` validations of one ticket at once by four scanners of the event:
 * every answer 200, exactly one `ok`, the rest `already_redeemed`, and every
 * attempt recorded.
 */
export async function scanBurst(
  stack: ProductionStack,
  at: Origins,
  { eventId, ticketId, code, scans }: {
    eventId: string;
    ticketId: string;
    code: string;
    scans: number;
  },
) {
  const call = caller(at);
  const scanners = await Promise.all([1, 2, 3, 4].map(async () => {
    const scanner = await makeUser(stack.sql, ["scanner"]);
    await assignStaff(stack.sql, eventId, scanner.id, "scanner");
    return await tokenFor(stack)(scanner);
  }));
  const [{ before }] = await stack.sql`
    select count(*)::int as before from public.checkins where ticket_id = ${ticketId}`;
  const responses = await Promise.all(
    Array.from(
      { length: scans },
      (_, i) =>
        call(i, "/tickets/validate", scanners[i % scanners.length], {
          code,
          event_id: eventId,
          gate: `gate-${i % 2}`,
          device_id: `device-${i % scanners.length}`,
        }),
    ),
  );
  assert.deepEqual(responses.map((s) => s.status).filter((s) => s !== 200), []);
  assert.deepEqual(tally(responses.map((s) => s.body.result)), {
    ok: 1,
    already_redeemed: scans - 1,
  });
  const [{ attempts }] = await stack.sql`
    select count(*)::int as attempts from public.checkins where ticket_id = ${ticketId}`;
  assert.equal(attempts - before, scans);
}
