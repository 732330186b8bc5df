-- Door check-in: check-in state on tickets, every scan attempt in checkins,
-- the check-in itself as one function call (one atomic statement for the
-- caller), and the live counts the events stats endpoint shows.

-- ---------------------------------------------------------------- ticket state
alter table public.tickets
  add column inside boolean not null default false,
  add column entries integer not null default 0 check (entries >= 0),
  add column checked_in_at timestamptz,
  add column last_entry_at timestamptz,
  add column last_entry_gate text check (last_entry_gate is null or length(last_entry_gate) <= 100),
  add column last_entry_by uuid references auth.users (id) on delete set null,
  add column last_exit_at timestamptz,
  -- A ticket inside has entered; one that never entered has no first entry time.
  add constraint tickets_checkin_consistent check (
    (entries = 0) = (checked_in_at is null) and (not inside or entries > 0));
comment on column public.tickets.inside is 'Admitted and not scanned out since (door state).';
comment on column public.tickets.entries is 'Admissions so far; above 1 only for re-entry types.';
comment on column public.tickets.checked_in_at is 'First admission (scan time).';

-- ---------------------------------------------------------------- checkins
create table public.checkins (
  id bigint generated always as identity primary key,
  -- null when a correctly signed code names no ticket we know.
  ticket_id uuid references public.tickets (id) on delete restrict,
  -- The event the scanner was admitting to (may differ from the ticket's: wrong_event).
  event_id uuid not null references public.events (id) on delete restrict,
  scanner_id uuid references auth.users (id) on delete set null,
  device_id text check (device_id is null or length(device_id) between 1 and 100),
  gate text check (gate is null or length(gate) between 1 and 100),
  direction text not null check (direction in ('entry', 'exit')),
  result text not null check (result in ('ok', 'already_redeemed', 'invalid', 'wrong_event',
    'revoked', 'unpaid', 'not_yet_valid', 'expired', 'not_inside')),
  -- Uploaded from an offline scanner (POST /tickets/validate/batch).
  offline boolean not null default false,
  -- An offline device admitted the ticket but the server, applying scans in
  -- scan-time order, found it already admitted (or no longer valid).
  conflict boolean not null default false,
  nonce text check (nonce is null or length(nonce) between 1 and 100),
  -- The answer given, returned again verbatim when the same nonce is retried.
  answer jsonb not null,
  scanned_at timestamptz not null,
  created_at timestamptz not null default now(),
  -- A retried scan (same scanner, same nonce) must not check in twice: the
  -- constraint, not a lookup, is what guarantees it under concurrency.
  constraint checkins_nonce_key unique (scanner_id, nonce)
);
comment on table public.checkins is
  'Every door scan attempt with its result (append-only); signature failures are not stored.';
create index checkins_ticket_idx on public.checkins (ticket_id, scanned_at);
create index checkins_event_idx on public.checkins (event_id, result, gate);
create index checkins_event_conflict_idx on public.checkins (event_id) where conflict;

create function public.checkins_append_only() returns trigger
language plpgsql set search_path = '' as $$
begin
  raise exception 'checkins are append-only' using errcode = '55000';
end;
$$;
create trigger checkins_append_only before update or delete on public.checkins
  for each row execute function public.checkins_append_only();

-- A change of an order's status (refund, cancellation) changes what scanners
-- must answer for its tickets: touch them so the next scanner-sync sends them.
create function public.touch_tickets_of_order() returns trigger
language plpgsql set search_path = '' as $$
begin
  update public.tickets set updated_at = now() where order_id = new.id;
  return null;
end;
$$;
create trigger orders_touch_tickets after update of status on public.orders
  for each row when (old.status is distinct from new.status)
  execute function public.touch_tickets_of_order();

-- ---------------------------------------------------------------- the check-in
-- Doors open this long before starts_at; entries are refused after ends_at.
create function public.admission_opens_at(p_starts_at timestamptz) returns timestamptz
language sql immutable set search_path = '' as $$
  select p_starts_at - interval '6 hours'
$$;

-- The reason a scan cannot be applied, judged from a snapshot read; null when
-- the guarded update may be tried.
create function public.checkin_precheck(
  p_found boolean, p_ticket_event uuid, p_event_id uuid, p_ticket_status public.ticket_status,
  p_event_status public.event_status, p_order_status public.order_status,
  p_starts_at timestamptz, p_ends_at timestamptz, p_direction text, p_at timestamptz
) returns text
language sql immutable set search_path = '' as $$
  select case
    when not p_found then 'invalid'
    when p_ticket_event <> p_event_id then 'wrong_event'
    when p_ticket_status = 'revoked' or p_event_status = 'cancelled' then 'revoked'
    when p_order_status <> 'paid' then 'unpaid'
    when p_direction = 'exit' then null
    when p_at < public.admission_opens_at(p_starts_at) then 'not_yet_valid'
    when p_at > p_ends_at then 'expired'
  end
$$;

-- The state change: one guarded UPDATE. Under concurrency Postgres re-checks
-- the WHERE on the row the winner committed, so exactly one entry succeeds.
create function public.checkin_transition(
  p_ticket_id uuid, p_direction text, p_allow_reentry boolean, p_scanner_id uuid,
  p_gate text, p_at timestamptz
) returns boolean
language plpgsql set search_path = '' as $$
begin
  if p_direction = 'entry' then
    update public.tickets
       set inside = true, entries = entries + 1, checked_in_at = coalesce(checked_in_at, p_at),
           last_entry_at = p_at, last_entry_gate = p_gate, last_entry_by = p_scanner_id
     where id = p_ticket_id and status = 'valid' and not inside
       and (entries = 0 or p_allow_reentry);
  else
    update public.tickets set inside = false, last_exit_at = p_at
     where id = p_ticket_id and status = 'valid' and inside;
  end if;
  return found;
end;
$$;

create function public.checkin_apply(
  p_ticket_id uuid, p_event_id uuid, p_scanner_id uuid, p_direction text, p_gate text,
  p_device_id text, p_nonce text, p_at timestamptz, p_offline boolean
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_ticket record;
  v_after record;
  v_found boolean;
  v_result text;
  v_previous jsonb;
  v_answer jsonb;
  v_id bigint;
begin
  select t.event_id, t.status, t.attendee_name, t.ticket_type_id, tt.name as type_name,
         tt.allow_reentry, o.status as order_status, e.starts_at, e.ends_at,
         e.status as event_status
    into v_ticket
    from public.tickets t
    join public.ticket_types tt on tt.id = t.ticket_type_id
    join public.orders o on o.id = t.order_id
    join public.events e on e.id = t.event_id
   where t.id = p_ticket_id;
  v_found := found;
  v_result := public.checkin_precheck(v_found, v_ticket.event_id, p_event_id, v_ticket.status,
    v_ticket.event_status, v_ticket.order_status, v_ticket.starts_at, v_ticket.ends_at,
    p_direction, p_at);
  if v_result is null then
    if public.checkin_transition(p_ticket_id, p_direction, v_ticket.allow_reentry, p_scanner_id,
                                 p_gate, p_at) then
      v_result := 'ok';
    else
      -- Lost the race or scanned twice: read what the winner committed.
      select status, checked_in_at, last_entry_at, last_entry_gate, last_entry_by, entries
        into v_after from public.tickets where id = p_ticket_id;
      v_result := case when v_after.status = 'revoked' then 'revoked'
                       when p_direction = 'entry' then 'already_redeemed'
                       else 'not_inside' end;
      if v_result = 'already_redeemed' then
        v_previous := jsonb_build_object('at', v_after.last_entry_at,
          'gate', v_after.last_entry_gate, 'scanner_id', v_after.last_entry_by,
          'first_at', v_after.checked_in_at, 'entries', v_after.entries);
      end if;
    end if;
  end if;
  v_answer := jsonb_build_object(
    'result', v_result, 'ticket_id', case when v_found then p_ticket_id end,
    'event_id', p_event_id, 'ticket_type_id', v_ticket.ticket_type_id,
    'ticket_type_name', v_ticket.type_name, 'attendee_name', v_ticket.attendee_name,
    'direction', p_direction, 'gate', p_gate, 'scanned_at', p_at, 'offline', p_offline,
    'conflict', p_offline and p_direction = 'entry' and v_result <> 'ok',
    'previous', v_previous);
  insert into public.checkins (ticket_id, event_id, scanner_id, device_id, gate, direction,
                               result, offline, conflict, nonce, answer, scanned_at)
  values (case when v_found then p_ticket_id end, p_event_id, p_scanner_id, p_device_id, p_gate,
          p_direction, v_result, p_offline, (v_answer ->> 'conflict')::boolean, p_nonce, v_answer,
          p_at)
  returning id into v_id;
  return v_answer || jsonb_build_object('checkin_id', v_id, 'replayed', false);
end;
$$;

create function public.checkin_replay(p_scanner_id uuid, p_nonce text) returns jsonb
language sql stable set search_path = '' as $$
  select answer || jsonb_build_object('checkin_id', id, 'replayed', true)
    from public.checkins where scanner_id = p_scanner_id and nonce = p_nonce
$$;

-- The door's one call: `select public.checkin_ticket(...)` checks the ticket
-- in (or records why not) and logs the attempt, atomically. A nonce already
-- used by this scanner returns the stored answer and changes nothing.
create function public.checkin_ticket(
  p_ticket_id uuid, p_event_id uuid, p_scanner_id uuid, p_direction text, p_gate text,
  p_device_id text, p_nonce text, p_at timestamptz, p_offline boolean default false
) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_answer jsonb;
begin
  if p_nonce is null then
    return public.checkin_apply(p_ticket_id, p_event_id, p_scanner_id, p_direction, p_gate,
                                p_device_id, p_nonce, p_at, p_offline);
  end if;
  v_answer := public.checkin_replay(p_scanner_id, p_nonce);
  if v_answer is not null then
    return v_answer;
  end if;
  begin
    return public.checkin_apply(p_ticket_id, p_event_id, p_scanner_id, p_direction, p_gate,
                                p_device_id, p_nonce, p_at, p_offline);
  exception when unique_violation then
    -- The same nonce committed concurrently (the insert waited for it): this
    -- block's ticket update is rolled back and the first answer stands.
    v_answer := public.checkin_replay(p_scanner_id, p_nonce);
    if v_answer is null then
      raise;
    end if;
    return v_answer;
  end;
end;
$$;

-- ---------------------------------------------------------------- live counts
-- Replaces the events migration's zero stub (same signature).
create or replace function public.event_checkin_stats(p_event_id uuid) returns jsonb
language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'checked_in_by_type', coalesce((
      select jsonb_object_agg(ticket_type_id, n) from (
        select ticket_type_id, count(*) as n from public.tickets
         where event_id = p_event_id and checked_in_at is not null group by ticket_type_id) x),
      '{}'::jsonb),
    'inside_by_type', coalesce((
      select jsonb_object_agg(ticket_type_id, n) from (
        select ticket_type_id, count(*) as n from public.tickets
         where event_id = p_event_id and inside group by ticket_type_id) x),
      '{}'::jsonb),
    'by_gate', coalesce((
      select jsonb_object_agg(gate, n) from (
        select coalesce(gate, 'unassigned') as gate, count(*) as n from public.checkins
         where event_id = p_event_id and result = 'ok' and direction = 'entry'
         group by 1) x),
      '{}'::jsonb),
    'offline_conflicts', (
      select count(*) from public.checkins where event_id = p_event_id and conflict))
$$;
comment on function public.event_checkin_stats(uuid) is
  'Admitted tickets per type, inside now per type, admissions per gate, offline conflicts.';

-- ---------------------------------------------------------------- RLS + grants
alter table public.checkins enable row level security;
revoke all on public.checkins from anon, authenticated;
grant all on public.checkins to service_role;
grant select on public.checkins to authenticated;
create policy checkins_staff_read on public.checkins
  for select to authenticated using (
    public.is_admin() or exists (
      select 1 from public.event_staff s
       where s.event_id = checkins.event_id and s.user_id = auth.uid()));

-- The check-in runs only through the API; PostgREST must not expose it as an RPC.
revoke execute on function
  public.checkin_ticket(uuid, uuid, uuid, text, text, text, text, timestamptz, boolean),
  public.checkin_apply(uuid, uuid, uuid, text, text, text, text, timestamptz, boolean),
  public.checkin_transition(uuid, text, boolean, uuid, text, timestamptz),
  public.checkin_replay(uuid, text),
  public.event_checkin_stats(uuid)
  from public, anon, authenticated;
grant execute on function
  public.checkin_ticket(uuid, uuid, uuid, text, text, text, text, timestamptz, boolean),
  public.checkin_apply(uuid, uuid, uuid, text, text, text, text, timestamptz, boolean),
  public.checkin_transition(uuid, text, boolean, uuid, text, timestamptz),
  public.checkin_replay(uuid, text),
  public.event_checkin_stats(uuid)
  to service_role;
