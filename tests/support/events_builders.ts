/** Builders for the events domain: ticket types, paid orders and holds that keep `sold` truthful. */
import type { Db } from "../../shared/db/mod.ts";

export { makeTicketType, type TicketTypeOverrides, type TicketTypeRow } from "./builders.ts";
import { makeOrderWithTickets } from "./builders.ts";

interface OrderSpec {
  buyerId: string;
  eventId: string;
  ticketTypeId: string;
  quantity: number;
  unitPrice: number;
}

const toOrder = (spec: OrderSpec) => ({
  event: { id: spec.eventId },
  ticketType: { id: spec.ticketTypeId, price: spec.unitPrice },
  buyer: { id: spec.buyerId },
  quantity: spec.quantity,
});

/** A paid order with its tickets, and `sold` raised to match. */
export async function makePaidOrder(sql: Db, spec: OrderSpec): Promise<string> {
  return (await makeOrderWithTickets(sql, toOrder(spec))).orderId;
}

/** A pending order whose line holds `quantity` seats for `minutes`. */
export async function makeHold(sql: Db, spec: OrderSpec, minutes = 15): Promise<string> {
  const order = { ...toOrder(spec), status: "pending" as const, holdMinutes: minutes };
  return (await makeOrderWithTickets(sql, order)).orderId;
}
