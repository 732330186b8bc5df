/** Request and response schemas of the purchases function (they are its OpenAPI). */
import { z } from "zod";
import { UuidParam } from "../../shared/openapi.ts";

const Item = z.object({
  ticket_type_id: z.uuid(),
  quantity: z.number().int().min(1).max(100),
});

const AttendeeSchema = z.object({
  ticket_type_id: z.uuid().meta({ description: "Which of the order's types this person uses" }),
  name: z.string().trim().min(1).max(200).optional(),
  email: z.email().max(320).optional(),
});

export const PurchaseBody = z.object({
  event_id: z.uuid(),
  items: z.array(Item).min(1).max(20),
  attendees: z.array(AttendeeSchema).max(100).optional().meta({
    description:
      "Optional names on the tickets: the n-th attendee of a type goes on its n-th ticket",
  }),
  admission_token: z.string().min(1).max(512).optional().meta({
    description: "The waiting room's admission token (GET /queue/{event_id}/status once " +
      "admitted); required when the event's waiting room is on, spent by the hold",
  }),
}).superRefine((body, ctx) => {
  const quantities = new Map<string, number>();
  body.items.forEach((item, i) => {
    if (quantities.has(item.ticket_type_id)) {
      ctx.addIssue({ code: "custom", path: ["items", i, "ticket_type_id"], message: "Duplicate" });
    }
    quantities.set(item.ticket_type_id, item.quantity);
  });
  const named = new Map<string, number>();
  body.attendees?.forEach((attendee, i) => {
    const count = (named.get(attendee.ticket_type_id) ?? 0) + 1;
    named.set(attendee.ticket_type_id, count);
    if (count > (quantities.get(attendee.ticket_type_id) ?? 0)) {
      ctx.addIssue({
        code: "custom",
        path: ["attendees", i, "ticket_type_id"],
        message: "More attendees than tickets of this type",
      });
    }
  });
}).meta({ id: "PurchaseRequest" });

const SlowPaymentDeadline = z.string().nullable().meta({
  description: "Until when a cash voucher (Rapipago, Pago Fácil), ATM payment or bank " +
    "transfer started at checkout may be paid; null: the checkout offers card and account " +
    "money only (the event's slow_payments policy)",
});

export const IdempotencyHeaders = z.object({
  "idempotency-key": z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/).meta({
    description: "Same key + same body → the same order; same key + another body → 409",
    example: "b7e0f0f2-7c1e-4a53-9d8e-3c2a1f6b9d10",
  }),
});

export const PurchaseResponse = z.object({
  order_id: z.uuid(),
  status: z.string().meta({ example: "pending" }),
  total: z.number().int().meta({ description: "Minor units" }),
  currency: z.string(),
  expires_at: z.string(),
  checkout_url: z.string().nullable(),
  slow_payment_deadline: SlowPaymentDeadline,
}).meta({ id: "Purchase" });

export const OrderParams = z.object({ order_id: UuidParam });

export const OrderStatusResponse = z.object({
  order_id: z.uuid(),
  event_id: z.uuid(),
  status: z.enum([
    "pending",
    "awaiting_payment",
    "paid",
    "expired",
    "failed",
    "cancelled",
    "refunded",
    "disputed",
  ]).meta({
    description: "awaiting_payment: a cash voucher, ATM payment or transfer is pending; the " +
      "tickets stay held until expires_at (the voucher's deadline)",
  }),
  total: z.number().int(),
  currency: z.string(),
  expires_at: z.string().meta({
    description: "Until when the tickets are held (pending: the checkout's hold; " +
      "awaiting_payment: the payment's deadline)",
  }),
  checkout_url: z.string().nullable(),
  slow_payment_deadline: SlowPaymentDeadline,
  paid_at: z.string().nullable(),
  created_at: z.string(),
  failure_reason: z.string().nullable(),
  items: z.array(z.object({
    ticket_type_id: z.uuid(),
    name: z.string(),
    quantity: z.number().int(),
    unit_price: z.number().int(),
  })),
  tickets: z.array(z.object({
    id: z.uuid(),
    ticket_type_id: z.uuid(),
    status: z.string(),
    attendee_name: z.string().nullable(),
    attendee_email: z.string().nullable(),
  })),
}).meta({ id: "OrderStatus" });

export const AdminRefundResponse = z.object({
  order_id: z.uuid(),
  status: z.literal("refunded"),
  tickets_revoked: z.number().int().meta({ description: "Tickets of the order now revoked" }),
  refund: z.object({
    id: z.uuid(),
    status: z.enum(["pending", "requested", "succeeded"]).meta({
      description: "pending: decided, the provider not reached yet (retried by the sweep); " +
        "requested: accepted by the provider; succeeded: the provider reports it refunded",
    }),
    amount: z.number().int(),
    currency: z.string(),
    reason: z.string(),
  }).nullable(),
}).meta({ id: "AdminRefund" });

export const PartialRefundBody = z.object({
  ticket_ids: z.array(z.uuid()).min(1).max(50).meta({
    description: "Valid tickets of this order to refund; the rest stay valid",
  }),
}).meta({ id: "PartialRefundRequest" });

export const PartialRefundResponse = z.object({
  order_id: z.uuid(),
  status: z.string().meta({ description: "paid while tickets remain; refunded with the last" }),
  total: z.number().int(),
  refunded_amount: z.number().int().meta({ description: "Refunded so far, minor units" }),
  tickets_revoked: z.array(z.uuid()),
  refund: z.object({
    id: z.uuid(),
    status: z.string(),
    amount: z.number().int(),
    currency: z.string(),
  }).nullable(),
}).meta({ id: "PartialRefund" });

export const WebhookQuery = z.object({
  "data.id": z.string().max(64).optional(),
  type: z.string().max(80).optional(),
  topic: z.string().max(80).optional(),
  id: z.string().max(64).optional(),
});

export const WebhookBody = z.looseObject({
  id: z.union([z.number(), z.string()]).optional(),
  type: z.string().max(80).optional(),
  action: z.string().max(80).optional(),
  data: z.looseObject({ id: z.union([z.string(), z.number()]).optional() }).optional(),
}).meta({ id: "MercadoPagoNotification" });

export const WebhookResponse = z.object({
  received: z.literal(true),
  duplicate: z.boolean(),
  state: z.string(),
});

export const SimulateBody = z.object({
  status: z.enum(["approved", "rejected", "pending", "refunded"]).meta({
    description: "pending: a cash voucher not paid yet (awaiting_payment when the event's " +
      "policy is hold); approve afterwards to pay it",
  }),
});

export const SimulateResponse = z.object({
  order_id: z.uuid(),
  payment_id: z.string(),
  order_status: z.string(),
});

const SweepStepReport = z.object({
  done: z.number().int().meta({ description: "Rows this step completed in this pass" }),
  left: z.number().int().meta({ description: "Rows still due when the step ended" }),
  ms: z.number().int(),
});

export const SweepResponse = z.object({
  expired_orders: z.number().int(),
  notifications_processed: z.number().int(),
  refunds_requested: z.number().int(),
  reconciled_orders: z.number().int(),
  reconciled_payments: z.number().int(),
  cancelled_orders: z.number().int(),
  cancellation_refunds: z.number().int(),
  cancellations_finished: z.number().int(),
  more_to_do: z.boolean().meta({
    description: "Some step left due work (its share of the request's time ran out or its " +
      "batch was full): the next pass continues it",
  }),
  steps: z.object({
    expire_holds: SweepStepReport,
    refunds: SweepStepReport,
    notifications: SweepStepReport,
    cancellations: SweepStepReport,
    reconciliation: SweepStepReport,
  }).meta({
    description: "Per step, in the order run: expire_holds, refunds, notifications, " +
      "cancellations, reconciliation",
  }),
});
