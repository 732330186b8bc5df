/** Admin-facing outbox operations: the test mail, the failed-mail list, re-queueing. */
import { type Sql, withTx } from "../../shared/db/mod.ts";
import { audit } from "../../shared/audit.ts";
import { DomainError } from "../../shared/errors.ts";
import {
  dispatchOne,
  type EmailStatus,
  enqueueEmail,
  type Locale,
  mailTransport,
} from "../../shared/mail/mod.ts";

export interface OutboxEntry {
  id: string;
  recipient: string;
  template: string;
  locale: Locale;
  status: EmailStatus;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  provider_message_id: string | null;
  created_at: Date;
  sent_at: Date | null;
}

const ENTRY_COLUMNS = `id, recipient, template, locale, status, attempts, max_attempts,
  next_attempt_at, last_error, provider_message_id, created_at, sent_at`;

export interface TestEmailReport {
  outbox_id: string;
  status: string;
  transport: string;
  accepted: boolean;
  provider_status: number | null;
  message_id: string | null;
  error: string | null;
}

/**
 * Queues a test mail and sends it at once through the real path (outbox,
 * breaker, transport). Throws email_provider_unavailable (502) with the
 * provider's answer when it was not accepted; the row then follows the
 * normal retry rules.
 */
export async function sendTestEmail(
  sql: Sql,
  input: { to: string; locale: Locale; actorId: string },
): Promise<TestEmailReport> {
  const { id } = await withTx(sql, async (tx) => {
    const queued = await enqueueEmail(tx, {
      to: input.to,
      template: "test_email",
      locale: input.locale,
      dedupeKey: `test_email:${crypto.randomUUID()}`,
      data: { requested_at: new Date().toISOString() },
      maxAttempts: 3,
    });
    await audit(tx, {
      actorId: input.actorId,
      action: "email.test_requested",
      entity: "email_outbox",
      entityId: queued.id,
      data: { to: input.to },
    });
    return queued;
  });
  const outcome = await dispatchOne(sql, id);
  const result = outcome?.result;
  const report: TestEmailReport = {
    outbox_id: id,
    status: outcome?.status ?? "queued",
    transport: mailTransport().name,
    accepted: result?.outcome === "sent",
    provider_status: result?.status ?? null,
    message_id: result?.outcome === "sent" ? result.messageId ?? null : null,
    error: outcome?.error ?? (result && result.outcome !== "sent" ? result.error : null),
  };
  if (!report.accepted) {
    throw new DomainError(
      "email_provider_unavailable",
      "The email provider did not accept the test email",
      { ...report },
    );
  }
  return report;
}

/** Outbox rows by status, newest first (admins look for `failed`). */
export async function listOutbox(
  sql: Sql,
  { status, limit }: { status: EmailStatus; limit: number },
): Promise<OutboxEntry[]> {
  return await sql.unsafe<OutboxEntry[]>(
    `select ${ENTRY_COLUMNS} from public.email_outbox where status = $1
      order by created_at desc, id limit $2`,
    [status, limit],
  );
}

/**
 * Gives a failed mail a fresh set of attempts. Only `failed` rows qualify:
 * re-queueing a sent mail would send it twice.
 */
export async function requeueEmail(sql: Sql, id: string, actorId: string): Promise<OutboxEntry> {
  return await withTx(sql, async (tx) => {
    const [row] = await tx.unsafe<OutboxEntry[]>(
      `update public.email_outbox
          set status = 'queued', attempts = 0, next_attempt_at = now()
        where id = $1 and status = 'failed'
       returning ${ENTRY_COLUMNS}`,
      [id],
    );
    if (!row) {
      const [existing] = await tx<{ status: string }[]>`
        select status from public.email_outbox where id = ${id}`;
      if (!existing) throw new DomainError("email_not_found", "No such email");
      throw new DomainError("email_not_failed", "Only failed emails can be re-queued", {
        status: existing.status,
      });
    }
    await audit(tx, {
      actorId,
      action: "email.requeued",
      entity: "email_outbox",
      entityId: id,
      data: { template: row.template },
    });
    return row;
  });
}
