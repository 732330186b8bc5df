/**
 * Creating, updating (including cancelling) and deleting events. Every write
 * runs in one transaction with its audit row and then invalidates the
 * catalog cache, so the next read sees it.
 */
import { audit } from "../../shared/audit.ts";
import type { Db, Sql } from "../../shared/db/mod.ts";
import { withTx } from "../../shared/db/mod.ts";
import { DomainError, validationFailed } from "../../shared/errors.ts";
import { invalidateCatalog } from "./catalog_cache.ts";
import { eventColumns, type EventJson, type EventRow, toEvent } from "./rows.ts";
import type { CreateEventInput, UpdateEventInput } from "./schemas.ts";
import { slugify } from "./validators.ts";
import { kickDispatch } from "../../shared/mail/mod.ts";

type Status = EventJson["status"];

/** Which status changes make sense; cancelled and finished are final. */
const NEXT_STATUSES: Record<Status, readonly Status[]> = {
  draft: ["published", "cancelled"],
  published: ["draft", "cancelled", "finished"],
  cancelled: [],
  finished: [],
};

const isUniqueViolation = (error: unknown, constraint: string) =>
  (error as { code?: string }).code === "23505" &&
  (error as { constraint_name?: string }).constraint_name === constraint;

const slugTaken = (slug: string) =>
  new DomainError("slug_taken", "Another event already uses this slug", { slug });

export const eventNotFound = () => new DomainError("event_not_found", "No such event");

/** Throws 404 `event_not_found` unless the event exists. */
export async function assertEventExists(sql: Db, eventId: string): Promise<void> {
  const [row] = await sql`select 1 from public.events where id = ${eventId}`;
  if (!row) throw eventNotFound();
}

/**
 * The event row, locked until the transaction ends; 404 when unknown. FOR
 * UPDATE (the default) also holds off new orders (their foreign key takes KEY
 * SHARE); "no key update" lets a reservation already holding its ticket types
 * finish, which a cancellation needs (it locks those types next: a deadlock otherwise).
 */
export async function lockEvent(
  tx: Db,
  eventId: string,
  strength: "update" | "no key update" = "update",
): Promise<EventRow> {
  const [row] = await tx<EventRow[]>`
    select ${eventColumns(tx)} from public.events e where e.id = ${eventId}
       for ${strength === "update" ? tx`update` : tx`no key update`}`;
  if (!row) throw eventNotFound();
  return row;
}

/** True when any order (in any status) references the event. */
export async function eventHasOrders(tx: Db, eventId: string): Promise<boolean> {
  const [{ found }] = await tx<{ found: boolean }[]>`
    select exists (select 1 from public.orders where event_id = ${eventId}) as found`;
  return found;
}

/** Creates an event (slug derived from the title when omitted); 409 `slug_taken` on a clash. */
export async function createEvent(
  sql: Sql,
  actorId: string,
  input: CreateEventInput,
): Promise<EventJson> {
  const slug = input.slug ?? slugify(input.title);
  if (!slug) {
    throw validationFailed([{ path: ["slug"], message: "Cannot derive a slug; send one" }]);
  }
  const row = await withTx(sql, async (tx) => {
    // ON CONFLICT instead of a lookup: two concurrent creates with one slug cannot both pass.
    const [created] = await tx<EventRow[]>`
      insert into public.events as e (slug, title, description, venue, address, starts_at,
        ends_at, time_zone, currency, status, cover_image_url, max_tickets_per_user,
        slow_payments, slow_payment_days, created_by)
      values (${slug}, ${input.title}, ${input.description}, ${input.venue}, ${input.address},
        ${input.starts_at}, ${input.ends_at}, ${input.time_zone}, ${input.currency},
        ${input.status}, ${input.cover_image_url ?? null}, ${input.max_tickets_per_user},
        ${input.slow_payments}, ${input.slow_payment_days}, ${actorId})
      on conflict (slug) do nothing
      returning ${eventColumns(tx)}`;
    if (!created) throw slugTaken(slug);
    await audit(tx, {
      actorId,
      action: "event.created",
      entity: "event",
      entityId: created.id,
      data: { slug, title: created.title, status: created.status },
    });
    return created;
  });
  await invalidateCatalog();
  return toEvent(row);
}

/**
 * Names the person behind this transaction's changes for the SQL that runs on
 * its own (the cancellation trigger records who cancelled).
 */
export async function setActor(tx: Db, actorId: string): Promise<void> {
  await tx`select set_config('crodify.actor_id', ${actorId}, true)`;
}

/**
 * Partial update of an event, status changes included (cancelling is
 * `status: "cancelled"`: the database's cancellation trigger revokes the
 * tickets, mails the buyers and starts the refund job, see
 * cancellation_service.ts). Dates are checked against the stored row, and the
 * status change is validated here, in one place.
 */
export async function updateEvent(
  sql: Sql,
  actorId: string,
  eventId: string,
  patch: UpdateEventInput,
): Promise<EventJson> {
  const after = await withTx(sql, async (tx) => {
    // Locked so the date check and the status transition see the row they change.
    const before = await lockEvent(
      tx,
      eventId,
      patch.status === "cancelled" ? "no key update" : "update",
    );
    assertDatesOrdered(before, patch);
    await assertStatusChange(tx, before, patch.status);
    if (patch.currency && patch.currency !== before.currency && await eventHasOrders(tx, eventId)) {
      throw new DomainError("event_has_orders", "Orders exist in the current currency");
    }
    await setActor(tx, actorId);
    const after = await applyPatch(tx, eventId, patch);
    const changes = diff(toEvent(before), toEvent(after));
    await audit(tx, {
      actorId,
      action: "event.updated",
      entity: "event",
      entityId: eventId,
      data: { changes },
    });
    // The trigger queued the buyers' notices in this transaction (outbox): send them now.
    const cancelled = before.status !== "cancelled" && after.status === "cancelled";
    return { after, cancelled };
  }).then(({ after, cancelled }) => {
    if (cancelled) kickDispatch();
    return after;
  });
  await invalidateCatalog();
  return toEvent(after);
}

async function applyPatch(tx: Db, eventId: string, patch: UpdateEventInput): Promise<EventRow> {
  const columns = Object.keys(patch) as (keyof UpdateEventInput)[];
  try {
    // No "as" before the alias: postgres.js would take `as ${...}` for a select list.
    const [row] = await tx<EventRow[]>`
      update public.events e set ${tx(patch, columns)} where e.id = ${eventId}
      returning ${eventColumns(tx)}`;
    return row;
  } catch (error) {
    if (isUniqueViolation(error, "events_slug_key")) throw slugTaken(patch.slug ?? "");
    throw error;
  }
}

function assertDatesOrdered(before: EventRow, patch: UpdateEventInput): void {
  const startsAt = patch.starts_at ? Date.parse(patch.starts_at) : before.starts_at.getTime();
  const endsAt = patch.ends_at ? Date.parse(patch.ends_at) : before.ends_at.getTime();
  if (endsAt > startsAt) return;
  const field = patch.ends_at ? "ends_at" : "starts_at";
  throw validationFailed([{ path: [field], message: "ends_at must be after starts_at" }]);
}

/** Throws 409 `invalid_status_transition` (or `event_has_orders`) for a move that makes no sense. */
export async function assertStatusChange(tx: Db, before: EventRow, next: Status | undefined) {
  if (!next || next === before.status) return;
  if (!NEXT_STATUSES[before.status].includes(next)) {
    throw new DomainError(
      "invalid_status_transition",
      `An event cannot go from ${before.status} to ${next}`,
      { from: before.status, to: next, allowed: [...NEXT_STATUSES[before.status]] },
    );
  }
  // Unpublishing would hide an event people already bought tickets for: cancel it instead.
  if (next === "draft" && await eventHasOrders(tx, before.id)) {
    throw new DomainError("event_has_orders", "The event has orders; cancel it instead");
  }
}

function diff(before: EventJson, after: EventJson) {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after) as (keyof EventJson)[]) {
    if (key !== "updated_at" && before[key] !== after[key]) {
      changes[key] = { from: before[key], to: after[key] };
    }
  }
  return changes;
}

/** Deletes an event with no orders; one with orders is refused (409 `event_has_orders`). */
export async function deleteEvent(sql: Sql, actorId: string, eventId: string): Promise<void> {
  await withTx(sql, async (tx) => {
    // FOR UPDATE conflicts with the KEY SHARE lock an order insert takes through its
    // foreign key, so no order can appear between this check and the delete.
    const event = await lockEvent(tx, eventId);
    if (await eventHasOrders(tx, eventId)) {
      throw new DomainError("event_has_orders", "The event has orders; cancel it instead");
    }
    await tx`delete from public.events where id = ${eventId}`;
    await audit(tx, {
      actorId,
      action: "event.deleted",
      entity: "event",
      entityId: eventId,
      data: { slug: event.slug, title: event.title, status: event.status },
    });
  });
  await invalidateCatalog();
}
