-- Events catalog: what the events function needs on top of the foundation's
-- `events`/`event_staff` and commerce_core's `ticket_types`: indexes for the
-- admin listing, tighter CHECKs on hand-editable columns, RLS policies that
-- evaluate the JWT once per statement, and the check-in stats hook the
-- tickets domain fills in.

-- ---------------------------------------------------------------- indexes
-- The public listing uses the foundation's partial index on published events;
-- admins list every status in the same (starts_at, id) keyset order.
create index events_starts_idx on public.events (starts_at, id);
-- "upcoming"/"past" filter on ends_at.
create index events_ends_idx on public.events (ends_at);

-- ---------------------------------------------------------------- checks
-- Studio edits must not break what the API validates.
alter table public.ticket_types
  add constraint ticket_types_sort_order_range check (sort_order between -100000 and 100000);
alter table public.events
  add constraint events_cover_image_url_length
    check (cover_image_url is null or length(cover_image_url) <= 2048);

-- ---------------------------------------------------------------- RLS
-- Same rules as before, but `(select public.is_admin())` is evaluated once per
-- statement (an initPlan) instead of once per row, as Supabase's RLS
-- performance guide recommends.
drop policy events_admin_all on public.events;
create policy events_admin_all on public.events
  for all to authenticated
  using ((select public.is_admin())) with check ((select public.is_admin()));

drop policy ticket_types_admin_all on public.ticket_types;
create policy ticket_types_admin_all on public.ticket_types
  for all to authenticated
  using ((select public.is_admin())) with check ((select public.is_admin()));

drop policy event_staff_read on public.event_staff;
create policy event_staff_read on public.event_staff
  for select to authenticated
  using (user_id = (select auth.uid()) or (select public.is_admin()));

-- ---------------------------------------------------------------- stats hook
-- Check-in figures for /events/{id}/stats. The tickets domain owns check-ins
-- and defines the real body (create or replace, in its own migration); until
-- then every figure is zero. Created only when missing, so applying this
-- migration after the tickets one (a dev database that already had it) never
-- replaces the real body with the stub. Shape:
--   {"checked_in_by_type": {"<ticket_type_id>": n}, "inside_by_type": {...},
--    "by_gate": {"<gate>": n}, "offline_conflicts": n}
do $do$
begin
  if to_regprocedure('public.event_checkin_stats(uuid)') is null then
    create function public.event_checkin_stats(p_event_id uuid) returns jsonb
    language sql stable set search_path = '' as $fn$
      select jsonb_build_object(
        'checked_in_by_type', '{}'::jsonb,
        'inside_by_type', '{}'::jsonb,
        'by_gate', '{}'::jsonb,
        'offline_conflicts', 0
      )
    $fn$;
    comment on function public.event_checkin_stats(uuid) is
      'Check-in counts of an event (per ticket type, per gate, offline conflicts); body owned by the tickets domain.';
  end if;
end
$do$;
revoke execute on function public.event_checkin_stats(uuid) from public, anon, authenticated;
grant execute on function public.event_checkin_stats(uuid) to service_role;
