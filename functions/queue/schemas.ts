/** Request and response schemas of the queue function (the OpenAPI document is built from these). */
import { z } from "zod";
import { UuidParam } from "../../shared/openapi.ts";

const DateTime = z.iso.datetime({ offset: true }).meta({ example: "2026-12-31T21:00:00-03:00" });

export const EventParams = z.object({ event_id: UuidParam });

export const SettingsBody = z.object({
  enabled: z.boolean(),
  prequeue_opens_at: DateTime.meta({ description: "Joins are accepted from here on" }),
  starts_at: DateTime.meta({
    description: "The on-sale start: the pre-queue is shuffled, admissions begin",
  }),
  window_seconds: z.number().int().min(10).max(3600).optional().meta({
    description: "How long an admitted buyer has to reserve (default 600)",
  }),
  admit_factor: z.number().gt(0).max(20).multipleOf(0.01).optional().meta({
    description: "Admit while active buyers < admit_factor × tickets available (default 1)",
  }),
  hold_minutes: z.number().int().min(1).max(60).optional().meta({
    description: "How long a hold taken through the queue lasts (default 5)",
  }),
}).strict().refine(
  (v) => Date.parse(v.prequeue_opens_at) <= Date.parse(v.starts_at),
  { message: "prequeue_opens_at must not be after starts_at", path: ["prequeue_opens_at"] },
);

export const SettingsResponse = z.object({
  event_id: z.uuid(),
  enabled: z.boolean(),
  prequeue_opens_at: z.string(),
  starts_at: z.string(),
  window_seconds: z.number().int(),
  admit_factor: z.number(),
  hold_minutes: z.number().int(),
  seed_sha256: z.string().meta({ description: "sha256 of the seed's hex text, public at once" }),
  seed: z.string().nullable().meta({ description: "The seed, once the start has passed" }),
  updated_at: z.string(),
}).meta({ id: "QueueSettings" });

export const StatusResponse = z.object({
  event_id: z.uuid(),
  state: z.enum(["waiting", "admitted", "expired", "sold_out", "closed"]),
  pre_queue: z.boolean().meta({
    description:
      "Joined before the start: the place is drawn at the start, position unknown until then",
  }),
  position: z.number().int().nullable(),
  people_ahead: z.number().int().nullable(),
  estimated_wait_seconds: z.number().int().nullable(),
  poll_after_seconds: z.number().int().meta({ description: "When to ask again" }),
  starts_at: z.string(),
  admission: z.object({
    token: z.string().meta({ description: "Send as `admission_token` in POST /purchases" }),
    expires_at: z.string(),
  }).nullable(),
  token_used: z.boolean(),
}).meta({ id: "QueueStatus" });

export const FairnessResponse = z.object({
  event_id: z.uuid(),
  starts_at: z.string(),
  seed_sha256: z.string(),
  seed: z.string().nullable(),
  algorithm: z.string(),
}).meta({ id: "QueueFairness" });

export const TickResponse = z.object({
  queues: z.array(z.object({
    event_id: z.uuid(),
    active: z.number().int(),
    using: z.number().int(),
    waiting: z.number().int(),
    admitted: z.number().int(),
    sold_out: z.boolean(),
    using_seats: z.number().int(),
  })),
}).meta({ id: "QueueTick" });
