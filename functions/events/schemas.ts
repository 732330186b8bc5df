/** Request and response schemas of the events function (the OpenAPI document is built from these). */
import { z } from "zod";
import { UuidParam } from "../../shared/openapi.ts";
import {
  Currency,
  CursorParam,
  DateTime,
  Slug,
  SLUG_MAX,
  SLUG_PATTERN,
  TimeZone,
} from "./validators.ts";

export const EVENT_STATUSES = ["draft", "published", "cancelled", "finished"] as const;
export const EventStatus = z.enum(EVENT_STATUSES);

// What checkout does with payments that settle later (cash vouchers, ATM, bank transfers);
// the CHECKs of public.events hold the same values (README "Payments").
export const SLOW_PAYMENT_POLICIES = ["excluded", "hold"] as const;
const SlowPayments = z.enum(SLOW_PAYMENT_POLICIES).meta({
  description: "excluded: cash vouchers (Rapipago, Pago Fácil), ATM and bank transfers are " +
    "not offered at checkout; hold: they are, and the order keeps its tickets held while " +
    "such a payment is pending, until the voucher's deadline",
});
const SlowPaymentDays = z.number().int().min(1).max(30).meta({
  description: "With hold: days the buyer has to pay a voucher or transfer (never past the " +
    "event's start; Mercado Pago recommends at least 3)",
});

const endsAfterStarts = (v: { starts_at?: string; ends_at?: string }) =>
  !v.starts_at || !v.ends_at || Date.parse(v.ends_at) > Date.parse(v.starts_at);
const salesWindowOrdered = (v: { sales_start_at?: string | null; sales_end_at?: string | null }) =>
  !v.sales_start_at || !v.sales_end_at || Date.parse(v.sales_end_at) > Date.parse(v.sales_start_at);
const notEmpty = (v: object) => Object.keys(v).length > 0;

// ---------------------------------------------------------------- params

export const EventIdParams = z.object({ id: UuidParam });
export const EventRefParams = z.object({
  id: z.string().max(SLUG_MAX).refine(
    (v) => z.uuid().safeParse(v).success || SLUG_PATTERN.test(v),
    "An event id (UUID) or slug",
  ).meta({ example: "demo-fest" }),
});
export const TicketTypeParams = z.object({ id: UuidParam, type_id: UuidParam });
export const StaffParams = z.object({ id: UuidParam, user_id: UuidParam });

export const ListQuery = z.object({
  when: z.enum(["upcoming", "past", "all"]).default("upcoming").meta({
    description: "upcoming: not ended yet (soonest first); past: ended (latest first)",
  }),
  from: DateTime.optional().meta({ description: "starts_at ≥ from" }),
  to: DateTime.optional().meta({ description: "starts_at < to" }),
  q: z.string().trim().min(1).max(100).optional().meta({ description: "Title or venue" }),
  status: EventStatus.optional().meta({ description: "Admins only; default published" }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: CursorParam.optional(),
}).refine((v) => !v.from || !v.to || Date.parse(v.to) > Date.parse(v.from), {
  path: ["to"],
  message: "to must be after from",
});
export type ListQuery = z.infer<typeof ListQuery>;

// ---------------------------------------------------------------- event bodies

const eventFields = {
  title: z.string().trim().min(1).max(200),
  slug: Slug,
  description: z.string().max(10_000),
  venue: z.string().max(200),
  address: z.string().max(500),
  starts_at: DateTime,
  ends_at: DateTime,
  time_zone: TimeZone,
  currency: Currency,
  cover_image_url: z.url({ protocol: /^https?$/ }).max(2048).nullable(),
  max_tickets_per_user: z.number().int().min(1).max(100),
  slow_payments: SlowPayments,
  slow_payment_days: SlowPaymentDays,
};

export const CreateEventBody = z.object({
  ...eventFields,
  slug: Slug.optional().meta({ description: "Derived from the title when omitted" }),
  description: eventFields.description.default(""),
  venue: eventFields.venue.default(""),
  address: eventFields.address.default(""),
  time_zone: TimeZone.default("America/Argentina/Buenos_Aires"),
  currency: Currency.default("ARS"),
  status: z.enum(["draft", "published"]).default("draft"),
  cover_image_url: eventFields.cover_image_url.optional(),
  max_tickets_per_user: eventFields.max_tickets_per_user.default(10),
  slow_payments: eventFields.slow_payments.default("excluded"),
  slow_payment_days: eventFields.slow_payment_days.default(3),
}).strict().refine(endsAfterStarts, {
  path: ["ends_at"],
  message: "ends_at must be after starts_at",
})
  .meta({ id: "CreateEvent" });
export type CreateEventInput = z.infer<typeof CreateEventBody>;

export const UpdateEventBody = z.object({ ...eventFields, status: EventStatus }).partial().strict()
  .refine(notEmpty, "Send at least one field")
  .refine(endsAfterStarts, { path: ["ends_at"], message: "ends_at must be after starts_at" })
  .meta({ id: "UpdateEvent" });
export type UpdateEventInput = z.infer<typeof UpdateEventBody>;

// ---------------------------------------------------------------- ticket type bodies

const ticketTypeFields = {
  name: z.string().trim().min(1).max(120),
  description: z.string().max(2000),
  price: z.number().int().min(0).max(2_000_000_000)
    .meta({ description: "Integer minor units of the event's currency" }),
  capacity: z.number().int().min(0).max(1_000_000),
  sales_start_at: DateTime.nullable(),
  sales_end_at: DateTime.nullable(),
  max_per_order: z.number().int().min(1).max(100),
  sort_order: z.number().int().min(-100_000).max(100_000),
  is_active: z.boolean(),
  allow_reentry: z.boolean(),
};

export const CreateTicketTypeBody = z.object({
  ...ticketTypeFields,
  description: ticketTypeFields.description.default(""),
  sales_start_at: ticketTypeFields.sales_start_at.default(null),
  sales_end_at: ticketTypeFields.sales_end_at.default(null),
  max_per_order: ticketTypeFields.max_per_order.default(10),
  sort_order: ticketTypeFields.sort_order.default(0),
  is_active: ticketTypeFields.is_active.default(true),
  allow_reentry: ticketTypeFields.allow_reentry.default(false),
}).strict().refine(salesWindowOrdered, {
  path: ["sales_end_at"],
  message: "sales_end_at must be after sales_start_at",
}).meta({ id: "CreateTicketType" });
export type CreateTicketTypeInput = z.infer<typeof CreateTicketTypeBody>;

export const UpdateTicketTypeBody = z.object(ticketTypeFields).partial().strict()
  .refine(notEmpty, "Send at least one field")
  .refine(salesWindowOrdered, {
    path: ["sales_end_at"],
    message: "sales_end_at must be after sales_start_at",
  }).meta({ id: "UpdateTicketType" });
export type UpdateTicketTypeInput = z.infer<typeof UpdateTicketTypeBody>;

export const StaffBody = z.object({
  user_id: z.uuid(),
  role: z.enum(["scanner", "coordinator"]),
}).strict().meta({ id: "AssignStaff" });

// ---------------------------------------------------------------- responses

export const Event = z.object({
  id: z.uuid(),
  slug: z.string(),
  title: z.string(),
  description: z.string(),
  venue: z.string(),
  address: z.string(),
  starts_at: z.string(),
  ends_at: z.string(),
  time_zone: z.string(),
  currency: z.string(),
  status: EventStatus,
  cover_image_url: z.string().nullable(),
  max_tickets_per_user: z.number().int(),
  slow_payments: z.enum(SLOW_PAYMENT_POLICIES),
  slow_payment_days: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
}).meta({ id: "Event" });

// Intersections, not .extend(): the document then says "an Event, plus …" (allOf with a $ref).
export const EventSummary = z.intersection(
  Event,
  z.object({
    price_from: z.number().int().nullable().meta({ description: "Lowest active price" }),
  }),
).meta({ id: "EventSummary" });

export const EventPage = z.object({
  items: z.array(EventSummary),
  next_cursor: z.string().nullable(),
}).meta({ id: "EventPage" });

export const PublicTicketType = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  price: z.number().int(),
  max_per_order: z.number().int(),
  sort_order: z.number().int(),
  allow_reentry: z.boolean(),
  sales_start_at: z.string().nullable(),
  sales_end_at: z.string().nullable(),
  available: z.number().int().meta({ description: "capacity - sold - active holds" }),
  sold_out: z.boolean(),
  on_sale: z.boolean().meta({ description: "The sales window is open now" }),
}).meta({ id: "PublicTicketType" });

export const EventDetail = z.intersection(
  Event,
  z.object({
    ticket_types: z.array(PublicTicketType),
    sold_out: z.boolean().meta({ description: "Every active ticket type is sold out" }),
  }),
).meta({ id: "EventDetail" });

export const TicketType = z.intersection(
  PublicTicketType,
  z.object({
    event_id: z.uuid(),
    capacity: z.number().int(),
    sold: z.number().int(),
    held: z.number().int(),
    is_active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  }),
).meta({ id: "TicketType" });

export const StaffMember = z.object({
  event_id: z.uuid(),
  user_id: z.uuid(),
  role: z.enum(["scanner", "coordinator"]),
  email: z.string().nullable(),
  display_name: z.string().nullable(),
  created_at: z.string(),
}).meta({ id: "StaffMember" });

const TypeStats = z.object({
  ticket_type_id: z.uuid(),
  name: z.string(),
  is_active: z.boolean(),
  price: z.number().int(),
  capacity: z.number().int(),
  sold: z.number().int(),
  held: z.number().int(),
  available: z.number().int(),
  revenue: z.number().int().meta({ description: "Paid orders, minor units" }),
  checked_in: z.number().int().meta({ description: "Tickets admitted at least once" }),
  inside: z.number().int().meta({ description: "Admitted and not scanned out since" }),
});

export const EventStats = z.object({
  event_id: z.uuid(),
  currency: z.string(),
  ticket_types: z.array(TypeStats),
  totals: TypeStats.pick({
    capacity: true,
    sold: true,
    held: true,
    available: true,
    revenue: true,
    checked_in: true,
    inside: true,
  }),
  by_gate: z.record(z.string(), z.number().int()),
  offline_conflicts: z.number().int(),
  generated_at: z.string(),
}).meta({ id: "EventStats" });
