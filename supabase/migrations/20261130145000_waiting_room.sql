-- The waiting room (issue 17): per-event queue settings, the single-use
-- admission tokens, and the reservation wrapper that checks a token and takes
-- the hold in one transaction. The queue itself (places, order, admissions)
-- lives in Redis; this is the authority it answers to.
--
-- Raised here (the purchases service maps them to codes):
--   CRQ01 admission_required, CRQ03 admission_used, CRQ04 hold_exists,
--   CRQ05 hold_limit_exceeded (the token's signature, expiry, user and event
--   are checked before the call, in shared/queue/tokens.ts).

-- ---------------------------------------------------------------- queue_settings
create table public.queue_settings (
  event_id uuid primary key references public.events (id) on delete cascade,
  enabled boolean not null default false,
  -- Joins before starts_at (from prequeue_opens_at on) are ordered by a keyed
  -- shuffle at the start; later joins are first come, first served.
  prequeue_opens_at timestamptz not null,
  starts_at timestamptz not null,
  -- How long an admitted buyer may take to reserve (the admission token's life).
  window_seconds integer not null default 600 check (window_seconds between 10 and 3600),
  -- Admit while active buyers < admit_factor × tickets available.
  admit_factor numeric(4, 2) not null default 1 check (admit_factor > 0 and admit_factor <= 20),
  -- Holds taken through the queue are shorter than HOLD_MINUTES.
  hold_minutes integer not null default 5 check (hold_minutes between 1 and 60),
  -- 32 random bytes as hex; secret until the start, then published.
  seed text not null check (seed ~ '^[0-9a-f]{64}$'),
  -- Published before the start: sha256 of the seed's hex text (`printf %s SEED | sha256sum`).
  seed_sha256 text generated always as (encode(sha256(seed::bytea), 'hex')) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint queue_settings_prequeue_before_start check (prequeue_opens_at <= starts_at)
);
comment on table public.queue_settings is
  'Per-event waiting room (opt-in). The seed orders the pre-queue; only its sha256 is public before the start.';
create trigger queue_settings_touch before update on public.queue_settings
  for each row execute function public.touch_updated_at();

-- The published commitment is worthless if the seed can change after the
-- pre-queue closed: once started, the seed and the start stay as they are,
-- even for a hand edit in Studio.
create function public.guard_queue_seed() returns trigger
language plpgsql set search_path = '' as $$
begin
  if old.starts_at <= now() and (new.seed <> old.seed or new.starts_at <> old.starts_at) then
    raise exception using errcode = 'CRQ06', message = 'queue_started',
      hint = 'The queue has started: its seed and start time can no longer change';
  end if;
  return new;
end;
$$;
create trigger queue_settings_seed_guard before update on public.queue_settings
  for each row execute function public.guard_queue_seed();

-- ---------------------------------------------------------------- used admission tokens
-- A token's single use is this primary key, written in the transaction that
-- takes the hold: two purchases with one token cannot both commit.
create table public.queue_admissions_used (
  event_id uuid not null references public.events (id) on delete cascade,
  user_id uuid not null,
  token_id text not null check (length(token_id) between 1 and 64),
  order_id uuid references public.orders (id) on delete set null,
  used_at timestamptz not null default now(),
  primary key (event_id, user_id, token_id)
);
comment on table public.queue_admissions_used is
  'Admission tokens spent on a hold (one row per token, single use).';

alter table public.queue_settings enable row level security;
alter table public.queue_admissions_used enable row level security;
revoke all on public.queue_settings, public.queue_admissions_used from anon, authenticated;
grant all on public.queue_settings, public.queue_admissions_used to service_role;

-- ---------------------------------------------------------------- availability
-- Tickets still on sale for an event right now (active types whose sales have
-- not ended): what the queue admits buyers against.
create function public.event_available(p_event_id uuid) returns integer
language sql stable set search_path = '' as $$
  select coalesce(sum(greatest(t.capacity - t.sold - public.ticket_type_held(t.id), 0)), 0)::integer
    from public.ticket_types t
   where t.event_id = p_event_id and t.is_active
     and (t.sales_end_at is null or t.sales_end_at > now())
$$;

-- ---------------------------------------------------------------- the guarded reservation
-- reserve_tickets behind the anti-hoarding rules. With the event's queue on:
-- p_admission ({"token_id"}, from a token whose signature, expiry, user and
-- event the caller verified) is required and spent here, the buyer may hold
-- one live order for the event, and the hold lasts the queue's hold_minutes.
-- Without the queue: at most p_unpaid_limit unpaid orders per buyer and event
-- created in the last p_unpaid_window_minutes. A replayed Idempotency-Key
-- returns its order before any of this (a replay spends nothing).
create function public.reserve_tickets_guarded(
  p_buyer_id uuid,
  p_event_id uuid,
  p_items jsonb,
  p_idempotency_key text,
  p_request_hash text,
  p_hold_minutes integer,
  p_unpaid_limit integer,
  p_unpaid_window_minutes integer,
  p_admission jsonb default null,
  p_buyer_email text default null,
  p_attendees jsonb default '[]'
) returns jsonb
-- One autocommit statement, like reserve_tickets: the buyer's lock waits are
-- bounded here too.
language plpgsql set search_path = '' set lock_timeout = '2s' as $$
declare
  v_queue public.queue_settings%rowtype;
  v_existing jsonb;
  v_order jsonb;
  v_count integer;
begin
  -- The same buyer-per-event lock reserve_tickets takes (re-entrant): the
  -- one-live-hold and unpaid-hold counts are exact under concurrency.
  perform pg_advisory_xact_lock(hashtextextended(p_buyer_id::text || p_event_id::text, 0));
  v_existing := public.order_for_idempotency_key(p_buyer_id, p_idempotency_key, p_request_hash);
  if v_existing is not null then
    return v_existing;
  end if;
  select * into v_queue from public.queue_settings where event_id = p_event_id and enabled;
  if found then
    if p_admission is null or coalesce(p_admission ->> 'token_id', '') = '' then
      raise exception using errcode = 'CRQ01', message = 'admission_required',
        detail = jsonb_build_object('event_id', p_event_id)::text,
        hint = 'This event sells through its waiting room: join the queue to get an admission token';
    end if;
    insert into public.queue_admissions_used (event_id, user_id, token_id)
    values (p_event_id, p_buyer_id, p_admission ->> 'token_id')
    on conflict do nothing;
    if not found then
      raise exception using errcode = 'CRQ03', message = 'admission_used',
        hint = 'This admission token was already used';
    end if;
    select count(*) into v_count from public.orders o
     where o.buyer_id = p_buyer_id and o.event_id = p_event_id and o.status = 'pending'
       and exists (select 1 from public.order_items oi
                    where oi.order_id = o.id and oi.held_until > now());
    if v_count > 0 then
      raise exception using errcode = 'CRQ04', message = 'hold_exists',
        hint = 'You already hold tickets for this event: pay for them or let them expire';
    end if;
    v_order := public.reserve_tickets(p_buyer_id => p_buyer_id, p_event_id => p_event_id,
      p_items => p_items, p_idempotency_key => p_idempotency_key,
      p_request_hash => p_request_hash,
      p_hold_minutes => least(p_hold_minutes, v_queue.hold_minutes),
      p_buyer_email => p_buyer_email, p_attendees => p_attendees);
    update public.queue_admissions_used set order_id = (v_order ->> 'order_id')::uuid
     where event_id = p_event_id and user_id = p_buyer_id and token_id = p_admission ->> 'token_id';
    return v_order;
  end if;
  select count(*) into v_count from public.orders o
   where o.buyer_id = p_buyer_id and o.event_id = p_event_id and o.status <> 'paid'
     and o.created_at > now() - make_interval(mins => p_unpaid_window_minutes);
  if v_count >= p_unpaid_limit then
    raise exception using errcode = 'CRQ05', message = 'hold_limit_exceeded',
      detail = jsonb_build_object('limit', p_unpaid_limit,
                                  'window_minutes', p_unpaid_window_minutes)::text,
      hint = 'Too many unpaid reservations for this event: pay for one or wait';
  end if;
  return public.reserve_tickets(p_buyer_id => p_buyer_id, p_event_id => p_event_id,
    p_items => p_items, p_idempotency_key => p_idempotency_key, p_request_hash => p_request_hash,
    p_hold_minutes => p_hold_minutes, p_buyer_email => p_buyer_email,
    p_attendees => p_attendees);
end;
$$;
comment on function public.reserve_tickets_guarded(uuid, uuid, jsonb, text, text, integer,
  integer, integer, jsonb, text, jsonb) is
  'reserve_tickets with the waiting room''s admission token and the anti-hoarding limits. '
  'Call with named arguments.';

revoke execute on function
  public.guard_queue_seed(),
  public.event_available(uuid),
  public.reserve_tickets_guarded(uuid, uuid, jsonb, text, text, integer, integer, integer,
                                 jsonb, text, jsonb)
  from public, anon, authenticated;
grant execute on function
  public.event_available(uuid),
  public.reserve_tickets_guarded(uuid, uuid, jsonb, text, text, integer, integer, integer,
                                 jsonb, text, jsonb)
  to service_role;
