/** Request and response schemas of the tickets function (snake_case JSON, ISO times). */
import { z } from "zod";
import { DirectionSchema, ReasonSchema, ScanResultSchema } from "./scan_answer.ts";
import { SYNC_STATUSES } from "./sync_service.ts";

export { DirectionSchema, ScanResultSchema };

const Time = z.iso.datetime({ offset: true });
const NullableTime = Time.nullable();

export const PublicKeySchema = z.object({
  kid: z.string(),
  key_id: z.string().meta({ description: "Hex of the 4 key-id bytes carried in codes" }),
  alg: z.literal("Ed25519"),
  public_key: z.string().meta({ description: "Raw 32-byte public key, base64url" }),
  active: z.boolean(),
}).meta({ id: "TicketPublicKey" });

export const TicketSchema = z.object({
  id: z.uuid(),
  order_id: z.uuid(),
  owner_id: z.uuid().nullable().meta({ description: "Null once the owner's account was deleted" }),
  status: z.enum(["valid", "revoked"]),
  revoked_at: NullableTime,
  issued_at: Time,
  attendee_name: z.string().nullable(),
  attendee_email: z.string().nullable(),
  ticket_type: z.object({ id: z.uuid(), name: z.string() }),
  event: z.object({
    id: z.uuid(),
    title: z.string(),
    slug: z.string(),
    venue: z.string(),
    starts_at: Time,
    ends_at: Time,
  }),
  checkin: z.object({
    inside: z.boolean(),
    entries: z.number().int(),
    checked_in_at: NullableTime,
    last_entry_at: NullableTime,
    last_entry_gate: z.string().nullable(),
    last_exit_at: NullableTime,
  }),
  code: z.string().optional().meta({
    description: "The signed code the QR carries (owner and admin only)",
  }),
}).meta({ id: "Ticket" });

const Label = z.string().trim().min(1).max(100);

export const ValidateBody = z.object({
  code: z.string().max(65_536).meta({ description: "The text the QR carries" }),
  event_id: z.uuid(),
  gate: Label.optional(),
  direction: DirectionSchema.default("entry"),
  nonce: Label.optional().meta({
    description: "Idempotency key of this scan: a retry returns the same answer",
  }),
  device_id: Label.optional(),
}).meta({ id: "ValidateRequest" });

export const MAX_BATCH = 500;

export const BatchBody = z.object({
  event_id: z.uuid(),
  device_id: Label.optional(),
  scans: z.array(z.object({
    code: z.string().max(65_536),
    nonce: Label,
    scanned_at: Time,
    direction: DirectionSchema.default("entry"),
    gate: Label.optional(),
    device_id: Label.optional(),
    offline_result: ReasonSchema.default("ok").meta({
      description: "What the device answered offline; not `ok` means it let nobody through",
    }),
  })).min(1).max(MAX_BATCH),
}).meta({ id: "OfflineBatch" });

export const BatchResultSchema = z.object({
  items: z.array(z.object({
    index: z.number().int(),
    nonce: z.string(),
    outcome: ScanResultSchema.nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })),
  summary: z.object({
    applied: z.number().int(),
    replayed: z.number().int(),
    ok: z.number().int(),
    conflicts: z.number().int(),
    errors: z.number().int(),
  }),
  conflicts: z.array(ScanResultSchema),
}).meta({ id: "OfflineBatchResult" });

const SyncStatus = z.enum(SYNC_STATUSES);

export const SyncSchema = z.object({
  event: z.object({
    id: z.uuid(),
    title: z.string(),
    status: z.string(),
    starts_at: Time,
    ends_at: Time,
    admission_opens_at: Time,
  }),
  keys: z.array(PublicKeySchema),
  ticket_types: z.array(z.object({ id: z.uuid(), name: z.string(), allow_reentry: z.boolean() })),
  tickets: z.array(z.object({
    id: z.uuid(),
    ticket_type_id: z.uuid(),
    attendee_name: z.string().nullable(),
    status: SyncStatus,
    inside: z.boolean(),
    entries: z.number().int(),
    checked_in_at: NullableTime,
    revoked_at: NullableTime,
  })),
  revocations: z.array(z.object({
    ticket_id: z.uuid(),
    status: SyncStatus,
    revoked_at: NullableTime,
  })),
  next_cursor: z.string(),
  has_more: z.boolean(),
  server_time: Time,
}).meta({ id: "ScannerSync" });
