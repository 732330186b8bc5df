/** Rows and fixtures the notification tests need: paid orders with tickets, queued mail, a fake SendGrid. */
import { resetConfigForTests } from "../../shared/config.ts";
import type { Db, Sql } from "../../shared/db/mod.ts";
import {
  type EventRow,
  makeEvent,
  makeOrderWithTickets,
  makeTicketType,
  makeUser,
  type TestUser,
} from "./builders.ts";
import { type FakeSendgrid, startFakeSendgrid } from "./fake_sendgrid.ts";
import { setupHarness } from "./harness.ts";

export interface PaidOrder {
  orderId: string;
  event: EventRow;
  buyer: TestUser;
  ticketIds: string[];
}

export interface PaidOrderOptions {
  tickets?: number;
  eventTitle?: string;
  attendeeName?: string;
  buyerName?: string;
  buyerEmail?: string;
  locale?: "es" | "en";
  /** Default 1: inside the door's check-in window. */
  startsInHours?: number;
}

/** A paid order with N issued tickets, built directly in SQL (no purchase flow needed). */
export async function makePaidOrder(sql: Db, options: PaidOrderOptions = {}): Promise<PaidOrder> {
  const count = options.tickets ?? 1;
  const event = await makeEvent(sql, {
    title: options.eventTitle,
    startsInHours: options.startsInHours ?? 1,
  });
  const buyer = await makeUser(sql);
  await sql`update auth.users set raw_user_meta_data = ${
    sql.json({ locale: options.locale ?? "es" })
  } where id = ${buyer.id}`;
  if (options.buyerName) {
    await sql`update public.profiles set display_name = ${options.buyerName} where id = ${buyer.id}`;
  }
  const ticketType = await makeTicketType(sql, event.id, { price: 150000, capacity: 1000 });
  const { orderId, ticketIds } = await makeOrderWithTickets(sql, {
    event,
    ticketType,
    buyer,
    quantity: count,
    buyerEmail: options.buyerEmail,
    attendeeName: options.attendeeName,
  });
  return { orderId, event, buyer, ticketIds };
}

/** Each test owns the outbox while it runs (tests in a file run one after another). */
export async function resetOutbox(sql: Sql): Promise<void> {
  await sql`delete from public.email_outbox`;
}

/** Queues `n` test mails to `<tag>-<i>@outbox.test` in one statement. */
export async function queueTestEmails(sql: Sql, n: number, tag: string): Promise<string[]> {
  const rows = await sql<{ recipient: string }[]>`
    insert into public.email_outbox (recipient, template, data, dedupe_key)
    select ${tag} || '-' || i || '@outbox.test', 'test_email',
           jsonb_build_object('requested_at', now()), ${tag} || ':' || i
      from generate_series(1, ${n}) as i
    returning recipient`;
  return rows.map((r) => r.recipient);
}

/** Runs `fn` with the sender pointed at a fresh fake SendGrid; restores the config after. */
export async function withFakeSendgrid<T>(fn: (fake: FakeSendgrid) => Promise<T>): Promise<T> {
  const harness = await setupHarness();
  const fake = startFakeSendgrid();
  resetConfigForTests({
    ...harness.env,
    SENDGRID_API_KEY: fake.apiKey,
    SENDGRID_BASE_URL: fake.url,
  });
  try {
    return await fn(fake);
  } finally {
    resetConfigForTests(harness.env);
    await fake.close();
  }
}
