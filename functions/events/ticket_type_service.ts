/**
 * Ticket types of an event, for admins and the event's coordinators. The
 * capacity rule (capacity ≥ sold + active holds) is checked under the ticket
 * type's row lock and guarded again by the database trigger.
 */
import { audit } from "../../shared/audit.ts";
import type { Db, Sql } from "../../shared/db/mod.ts";
import { withTx } from "../../shared/db/mod.ts";
import { DomainError, validationFailed } from "../../shared/errors.ts";
import { invalidateCatalog } from "./catalog_cache.ts";
import { assertEventExists } from "./event_service.ts";
import {
  ticketTypeColumns,
  type TicketTypeJson,
  type TicketTypeRow,
  toTicketType,
} from "./rows.ts";
import type { CreateTicketTypeInput, UpdateTicketTypeInput } from "./schemas.ts";

const pgCode = (error: unknown) => (error as { code?: string }).code;
const pgConstraint = (error: unknown) => (error as { constraint_name?: string }).constraint_name;

const ticketTypeNotFound = () =>
  new DomainError("ticket_type_not_found", "No such ticket type for this event");
const nameTaken = (name: string) =>
  new DomainError("ticket_type_name_taken", "The event already has a ticket type with this name", {
    name,
  });

async function selectTicketType(tx: Db, eventId: string, typeId: string) {
  const [row] = await tx<TicketTypeRow[]>`
    select ${ticketTypeColumns(tx)}
      from public.ticket_types t join public.events e on e.id = t.event_id
     where t.id = ${typeId} and t.event_id = ${eventId}`;
  return row;
}

/**
 * Locks the ticket type row (purchases lock it too before taking a hold, so
 * sold and holds cannot grow while we look); 404 for an unknown event or type.
 */
async function lockTicketType(tx: Db, eventId: string, typeId: string): Promise<TicketTypeRow> {
  const [locked] = await tx`
    select 1 from public.ticket_types where id = ${typeId} and event_id = ${eventId} for update`;
  if (!locked) {
    await assertEventExists(tx, eventId);
    throw ticketTypeNotFound();
  }
  // A separate statement: one that waited for the lock would still count holds with the
  // snapshot it took before waiting, missing holds committed meanwhile.
  return await selectTicketType(tx, eventId, typeId);
}

/** Every ticket type of the event (inactive ones too) with sold, held and available. */
export async function listTicketTypes(sql: Sql, eventId: string): Promise<TicketTypeJson[]> {
  await assertEventExists(sql, eventId);
  const rows = await sql<TicketTypeRow[]>`
    select ${ticketTypeColumns(sql)}
      from public.ticket_types t join public.events e on e.id = t.event_id
     where t.event_id = ${eventId}
     order by t.sort_order, t.name, t.id`;
  return rows.map(toTicketType);
}

/** Adds a ticket type; 409 `ticket_type_name_taken` when the event has one with that name. */
export async function createTicketType(
  sql: Sql,
  actorId: string,
  eventId: string,
  input: CreateTicketTypeInput,
): Promise<TicketTypeJson> {
  const created = await withTx(sql, async (tx) => {
    await assertEventExists(tx, eventId);
    // UNIQUE (event_id, name) decides, not a lookup: concurrent creates cannot both win.
    const [row] = await tx<{ id: string }[]>`
      insert into public.ticket_types (event_id, name, description, price, capacity,
        sales_start_at, sales_end_at, max_per_order, sort_order, is_active, allow_reentry)
      values (${eventId}, ${input.name}, ${input.description}, ${input.price}, ${input.capacity},
        ${input.sales_start_at}, ${input.sales_end_at}, ${input.max_per_order},
        ${input.sort_order}, ${input.is_active}, ${input.allow_reentry})
      on conflict (event_id, name) do nothing
      returning id`;
    if (!row) throw nameTaken(input.name);
    await audit(tx, {
      actorId,
      action: "ticket_type.created",
      entity: "ticket_type",
      entityId: row.id,
      data: { event_id: eventId, ...input },
    });
    return await selectTicketType(tx, eventId, row.id);
  });
  await invalidateCatalog();
  return toTicketType(created);
}

/**
 * Partial update. Capacity below sold + active holds is 409
 * `capacity_below_sold`; a sales window is checked against the stored ends.
 */
export async function updateTicketType(
  sql: Sql,
  actorId: string,
  eventId: string,
  typeId: string,
  patch: UpdateTicketTypeInput,
): Promise<TicketTypeJson> {
  const updated = await withTx(sql, async (tx) => {
    const before = await lockTicketType(tx, eventId, typeId);
    assertSalesWindow(before, patch);
    assertCapacityCovers(before, patch.capacity);
    await applyPatch(tx, typeId, patch);
    await audit(tx, {
      actorId,
      action: "ticket_type.updated",
      entity: "ticket_type",
      entityId: typeId,
      data: { event_id: eventId, changes: patch, before: pick(before, Object.keys(patch)) },
    });
    return await selectTicketType(tx, eventId, typeId);
  });
  await invalidateCatalog();
  return toTicketType(updated);
}

async function applyPatch(tx: Db, typeId: string, patch: UpdateTicketTypeInput) {
  const columns = Object.keys(patch) as (keyof UpdateTicketTypeInput)[];
  try {
    await tx`update public.ticket_types set ${tx(patch, columns)} where id = ${typeId}`;
  } catch (error) {
    if (pgCode(error) === "23505") throw nameTaken(patch.name ?? "");
    // The trigger/CHECK backstop (e.g. a Studio hold raced in): same answer as our own check.
    if (pgCode(error) === "23514" && /capacity|sold/.test(pgConstraint(error) ?? "")) {
      throw new DomainError("capacity_below_sold", "Capacity is below sold plus held tickets");
    }
    throw error;
  }
}

function assertCapacityCovers(before: TicketTypeRow, capacity: number | undefined): void {
  if (capacity === undefined || capacity >= before.sold + before.held) return;
  throw new DomainError("capacity_below_sold", "Capacity is below sold plus held tickets", {
    capacity,
    sold: before.sold,
    held: before.held,
    minimum: before.sold + before.held,
  });
}

function assertSalesWindow(before: TicketTypeRow, patch: UpdateTicketTypeInput): void {
  const start = patch.sales_start_at !== undefined
    ? patch.sales_start_at
    : before.sales_start_at?.toISOString() ?? null;
  const end = patch.sales_end_at !== undefined
    ? patch.sales_end_at
    : before.sales_end_at?.toISOString() ?? null;
  if (!start || !end || Date.parse(end) > Date.parse(start)) return;
  const field = patch.sales_end_at !== undefined ? "sales_end_at" : "sales_start_at";
  throw validationFailed([{ path: [field], message: "sales_end_at must be after sales_start_at" }]);
}

function pick(row: TicketTypeRow, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, row[k as keyof TicketTypeRow]]));
}

/**
 * Deletes a ticket type nobody ordered; one with order lines is refused (409
 * `ticket_type_has_orders`: deactivate it instead, the money trail stays).
 */
export async function deleteTicketType(
  sql: Sql,
  actorId: string,
  eventId: string,
  typeId: string,
): Promise<void> {
  await withTx(sql, async (tx) => {
    // An order line insert takes a KEY SHARE lock on this row through its foreign key,
    // which conflicts with our FOR UPDATE: no line can appear between the check and the delete.
    const before = await lockTicketType(tx, eventId, typeId);
    const [{ ordered }] = await tx<{ ordered: boolean }[]>`
      select exists (select 1 from public.order_items where ticket_type_id = ${typeId}) as ordered`;
    if (ordered) {
      throw new DomainError(
        "ticket_type_has_orders",
        "The ticket type has orders; set is_active to false instead",
      );
    }
    await tx`delete from public.ticket_types where id = ${typeId}`;
    await audit(tx, {
      actorId,
      action: "ticket_type.deleted",
      entity: "ticket_type",
      entityId: typeId,
      data: { event_id: eventId, name: before.name, capacity: before.capacity },
    });
  });
  await invalidateCatalog();
}
