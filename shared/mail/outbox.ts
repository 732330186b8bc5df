/**
 * The email outbox (DESIGN.md invariant 5). Producers enqueue inside their own
 * transaction; dispatchers claim due rows with FOR UPDATE SKIP LOCKED under a
 * lease and settle them with guarded updates keyed by the claim token, so a
 * row is sent by one dispatcher at a time and a dead dispatcher's rows come back.
 */
import type { Db } from "../db/mod.ts";

export type Locale = "es" | "en";
export const LOCALES: readonly Locale[] = ["es", "en"];
export type EmailStatus = "queued" | "sending" | "sent" | "failed";

export interface EnqueueEmail {
  to: string;
  template: string;
  data: Record<string, unknown>;
  locale?: Locale;
  /** The cause (e.g. `order_confirmation:<order id>`); a second enqueue of it is a no-op. */
  dedupeKey: string;
  maxAttempts?: number;
}

/** A row a dispatcher holds: only the holder of `claimToken` may settle it. */
export interface ClaimedEmail {
  id: string;
  recipient: string;
  template: string;
  data: Record<string, unknown>;
  locale: Locale;
  attempts: number;
  max_attempts: number;
  claim_token: string;
}

/**
 * Queues one email in the caller's transaction (it commits or rolls back with
 * the change that caused it). Returns `queued: false` when the dedupe key was taken.
 */
export async function enqueueEmail(
  tx: Db,
  email: EnqueueEmail,
): Promise<{ id: string; queued: boolean }> {
  const [row] = await tx<{ id: string }[]>`
    insert into public.email_outbox (recipient, template, data, locale, dedupe_key, max_attempts)
    values (${email.to.trim()}, ${email.template}, ${tx.json(email.data as never)},
            ${email.locale ?? "es"}, ${email.dedupeKey}, ${email.maxAttempts ?? 8})
    on conflict (dedupe_key) do nothing
    returning id`;
  if (row) return { id: row.id, queued: true };
  const [existing] = await tx<{ id: string }[]>`
    select id from public.email_outbox where dedupe_key = ${email.dedupeKey}`;
  return { id: existing.id, queued: false };
}

const CLAIMED_COLUMNS = "o.id, o.recipient, o.template, o.data, o.locale, o.attempts, " +
  "o.max_attempts, o.claim_token";

/**
 * Claims up to `limit` due rows: queued ones whose time has come and sending
 * ones whose lease expired (their dispatcher died). SKIP LOCKED makes
 * concurrent dispatchers take disjoint rows instead of waiting on each other;
 * the re-checked WHERE (status, lease) stops a row claimed and committed by
 * another dispatcher meanwhile from being claimed again.
 */
export async function claimBatch(
  sql: Db,
  { limit, leaseMs }: { limit: number; leaseMs: number },
): Promise<ClaimedEmail[]> {
  return await sql.unsafe<ClaimedEmail[]>(
    `with picked as (
       select id from public.email_outbox
        where (status = 'queued' and next_attempt_at <= now())
           or (status = 'sending' and locked_until < now() and attempts < max_attempts)
        order by next_attempt_at, id
        limit $1
        for update skip locked)
     update public.email_outbox o
        set status = 'sending', attempts = o.attempts + 1, claim_token = gen_random_uuid(),
            locked_until = now() + make_interval(secs => $2), last_attempt_at = now()
       from picked where o.id = picked.id
     returning ${CLAIMED_COLUMNS}`,
    [limit, leaseMs / 1000],
  );
}

/** Claims one queued row by id (test-email sends it at once); undefined if not queued. */
export async function claimById(
  sql: Db,
  id: string,
  leaseMs: number,
): Promise<ClaimedEmail | undefined> {
  const [row] = await sql.unsafe<ClaimedEmail[]>(
    `update public.email_outbox o
        set status = 'sending', attempts = o.attempts + 1, claim_token = gen_random_uuid(),
            locked_until = now() + make_interval(secs => $2), last_attempt_at = now()
      where o.id = $1 and o.status = 'queued'
     returning ${CLAIMED_COLUMNS}`,
    [id, leaseMs / 1000],
  );
  return row;
}

/**
 * Rows whose dispatcher died during their last allowed attempt: the mail may
 * or may not have left, and no attempt is left, so they become `failed` for an admin.
 */
export async function failExhaustedLeases(sql: Db): Promise<number> {
  const rows = await sql`
    update public.email_outbox
       set status = 'failed', locked_until = null, claim_token = null,
           last_error = left('dispatcher lease expired on the last attempt; ' ||
                             coalesce(last_error, ''), 1000)
     where status = 'sending' and locked_until < now() and attempts >= max_attempts
    returning id`;
  return rows.count;
}

/** Accepted by the provider. False when the claim was lost (lease expired, reclaimed). */
export async function markSent(
  sql: Db,
  claim: ClaimedEmail,
  messageId: string | undefined,
): Promise<boolean> {
  const rows = await sql`
    update public.email_outbox
       set status = 'sent', sent_at = now(), provider_message_id = ${messageId ?? null},
           locked_until = null, claim_token = null
     where id = ${claim.id} and claim_token = ${claim.claim_token} and status = 'sending'
    returning id`;
  return rows.count === 1;
}

/**
 * A failed attempt: back to `queued` after `delayMs`, or `failed` once the
 * attempts are spent. Returns the new status, or undefined if the claim was lost.
 */
export async function markRetry(
  sql: Db,
  claim: ClaimedEmail,
  { delayMs, error }: { delayMs: number; error: string },
): Promise<EmailStatus | undefined> {
  const [row] = await sql<{ status: EmailStatus }[]>`
    update public.email_outbox
       set status = case when attempts >= max_attempts then 'failed'::public.email_status
                         else 'queued'::public.email_status end,
           next_attempt_at = now() + make_interval(secs => ${delayMs / 1000}),
           last_error = left(${error}, 1000), locked_until = null, claim_token = null
     where id = ${claim.id} and claim_token = ${claim.claim_token} and status = 'sending'
    returning status`;
  return row?.status;
}

/** The provider refused this mail for good; no more attempts. */
export async function markFailed(sql: Db, claim: ClaimedEmail, error: string): Promise<boolean> {
  const rows = await sql`
    update public.email_outbox
       set status = 'failed', last_error = left(${error}, 1000), locked_until = null,
           claim_token = null
     where id = ${claim.id} and claim_token = ${claim.claim_token} and status = 'sending'
    returning id`;
  return rows.count === 1;
}

/**
 * Gives a claimed row back without charging an attempt: it was never sent
 * (breaker open, rate limited, time budget spent).
 */
export async function releaseClaim(
  sql: Db,
  claim: ClaimedEmail,
  { delayMs = 0, error }: { delayMs?: number; error?: string } = {},
): Promise<boolean> {
  const rows = await sql`
    update public.email_outbox
       set status = 'queued', attempts = greatest(attempts - 1, 0),
           next_attempt_at = now() + make_interval(secs => ${delayMs / 1000}),
           last_error = coalesce(left(${error ?? null}, 1000), last_error),
           locked_until = null, claim_token = null
     where id = ${claim.id} and claim_token = ${claim.claim_token} and status = 'sending'
    returning id`;
  return rows.count === 1;
}
