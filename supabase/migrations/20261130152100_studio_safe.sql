-- Studio-safe data (README, "Data rules for Studio and the dashboard"):
-- 1. Deleting a user (Auth dashboard, `delete from auth.users`) works: orders,
--    payments, refunds and the audit log are kept; the order loses its link to
--    the person (buyer_id null) and keeps the email/name snapshot the books
--    need; the user's tickets stay valid for whoever holds them, unlinked from
--    any account (owner_id null). The deletion itself is audited.
-- 2. `authenticated` writes no table: every write goes through the functions
--    (the frontend contract uses nothing else). Edits in Studio (role postgres)
--    of the catalog and the access tables are recorded in audit_log by trigger.
-- 3. What Supabase's advisor (splinter) flags: RLS policies evaluate auth.uid()
--    and is_admin() once per statement, one permissive policy per role and
--    action, and every foreign key has a covering index.

-- ---------------------------------------------------------------- 1. user deletion
alter table public.orders
  add column buyer_name text check (buyer_name is null or length(buyer_name) <= 200),
  add column buyer_deleted_at timestamptz,
  alter column buyer_id drop not null,
  drop constraint orders_buyer_id_fkey,
  add constraint orders_buyer_id_fkey
    foreign key (buyer_id) references auth.users (id) on delete set null;
comment on column public.orders.buyer_id is
  'The buyer; null once their account was deleted (buyer_email/buyer_name keep the snapshot).';
comment on column public.orders.buyer_deleted_at is 'When the buyer''s account was deleted.';

alter table public.tickets
  alter column owner_id drop not null,
  drop constraint tickets_owner_id_fkey,
  add constraint tickets_owner_id_fkey
    foreign key (owner_id) references auth.users (id) on delete set null;
comment on column public.tickets.owner_id is
  'The account holding the ticket; null once it was deleted (the ticket stays valid at the door).';

-- Who is writing, seen from inside a security definer function (where
-- current_user is the owner): the role set by `set role` (PostgREST, a test),
-- else the login role (Studio: postgres; Supabase Auth: supabase_auth_admin).
create function public.calling_role() returns text
language sql stable set search_path = '' as $$
  select coalesce(nullif(current_setting('role', true), 'none'), session_user::text)
$$;

-- Runs as the table owner: Supabase Auth deletes users as supabase_auth_admin,
-- which has no rights on public tables. Before the row goes, so the snapshot
-- can still read the profile (deleted by its own cascade).
create function public.handle_user_deleted() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  orders_kept integer;
  tickets_kept integer;
begin
  update public.orders o
     set buyer_email = coalesce(o.buyer_email, old.email),
         buyer_name = coalesce(o.buyer_name,
           (select p.display_name from public.profiles p where p.id = old.id)),
         buyer_deleted_at = now()
   where o.buyer_id = old.id;
  get diagnostics orders_kept = row_count;
  update public.tickets t
     set attendee_email = coalesce(t.attendee_email, old.email)
   where t.owner_id = old.id;
  get diagnostics tickets_kept = row_count;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values ((select auth.uid()), 'user.deleted', 'user', old.id::text, jsonb_build_object(
    'db_role', public.calling_role(), 'orders_kept', orders_kept, 'tickets_kept', tickets_kept));
  return old;
end;
$$;
revoke execute on function public.handle_user_deleted() from public, anon, authenticated;
create trigger on_auth_user_deleted before delete on auth.users
  for each row execute function public.handle_user_deleted();

-- ---------------------------------------------------------------- 2. writes
revoke insert, update, delete, truncate on public.events, public.ticket_types
  from anon, authenticated;
revoke insert, update, delete, truncate on public.profiles from anon, authenticated;
revoke update (display_name) on public.profiles from authenticated;
drop policy profiles_update_own on public.profiles;

-- Who changed what, for writes that bypass the functions (Studio, psql as
-- postgres). The functions write their own audit row, with the meaning, in the
-- same transaction as every change: such a transaction is flagged (below) and
-- not audited twice, which is why these triggers wait for the commit.
-- ticket_types' counters (held, sold) move on every purchase and are not
-- watched: the order transitions record those.
create function public.flag_audited_transaction() returns trigger
language plpgsql set search_path = '' as $$
begin
  if new.action not like 'row.%' then
    perform set_config('crodify.audited', 'on', true);
  end if;
  return null;
end;
$$;
revoke execute on function public.flag_audited_transaction() from public, anon, authenticated;
create trigger audit_log_flag after insert on public.audit_log
  for each row execute function public.flag_audited_transaction();

create function public.audit_row_change() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  row_id text;
  changes jsonb;
begin
  if current_setting('crodify.audited', true) = 'on' then
    return null;
  end if;
  if tg_op = 'DELETE' then
    row_id := to_jsonb(old) ->> tg_argv[0];
    changes := jsonb_build_object('old', to_jsonb(old));
  elsif tg_op = 'INSERT' then
    row_id := to_jsonb(new) ->> tg_argv[0];
    changes := jsonb_build_object('new', to_jsonb(new));
  else
    row_id := to_jsonb(new) ->> tg_argv[0];
    select jsonb_object_agg(n.key, jsonb_build_object('old', o.value, 'new', n.value))
      into changes
      from jsonb_each(to_jsonb(new)) n
      join jsonb_each(to_jsonb(old)) o using (key)
     where n.value is distinct from o.value and n.key <> 'updated_at';
    if changes is null then
      return null;
    end if;
    changes := jsonb_build_object('changes', changes);
  end if;
  insert into public.audit_log (actor_id, action, entity, entity_id, data)
  values ((select auth.uid()), 'row.' || lower(tg_op), tg_table_name, row_id,
          changes || jsonb_build_object('db_role', public.calling_role()));
  return null;
end;
$$;
revoke execute on function public.audit_row_change() from public, anon, authenticated;

create constraint trigger events_audit after insert or update or delete on public.events
  deferrable initially deferred
  for each row execute function public.audit_row_change('id');
create constraint trigger ticket_types_audit after insert or delete on public.ticket_types
  deferrable initially deferred
  for each row execute function public.audit_row_change('id');
create constraint trigger ticket_types_audit_update after update of
    event_id, name, description, price, capacity, sales_start_at, sales_end_at, max_per_order,
    sort_order, is_active, allow_reentry
  on public.ticket_types
  deferrable initially deferred
  for each row execute function public.audit_row_change('id');
create constraint trigger event_staff_audit after insert or update or delete on public.event_staff
  deferrable initially deferred
  for each row execute function public.audit_row_change('user_id');
create constraint trigger user_roles_audit after insert or update or delete on public.user_roles
  deferrable initially deferred
  for each row execute function public.audit_row_change('user_id');

-- ---------------------------------------------------------------- 3. advisor
-- One read policy per table and role (multiple_permissive_policies); the admin
-- write policies went with the write grants.
drop policy events_admin_all on public.events;
drop policy events_public_read on public.events;
create policy events_read on public.events
  for select to anon, authenticated
  using (status = 'published' or (select public.is_admin()));

drop policy ticket_types_admin_all on public.ticket_types;
drop policy ticket_types_public_read on public.ticket_types;
create policy ticket_types_read on public.ticket_types
  for select to anon, authenticated
  using ((select public.is_admin()) or (is_active and exists (
    select 1 from public.events e where e.id = event_id and e.status = 'published')));

-- auth_rls_initplan: (select auth.uid()) is evaluated once per statement.
drop policy user_roles_own on public.user_roles;
create policy user_roles_own on public.user_roles
  for select to authenticated
  using (user_id = (select auth.uid()) or (select public.is_admin()));

drop policy profiles_read_own on public.profiles;
create policy profiles_read_own on public.profiles
  for select to authenticated
  using (id = (select auth.uid()) or (select public.is_admin()));

drop policy orders_own_read on public.orders;
create policy orders_own_read on public.orders
  for select to authenticated
  using (buyer_id = (select auth.uid()) or (select public.is_admin()));

drop policy order_items_own_read on public.order_items;
create policy order_items_own_read on public.order_items
  for select to authenticated
  using (exists (
    select 1 from public.orders o
     where o.id = order_id
       and (o.buyer_id = (select auth.uid()) or (select public.is_admin()))));

drop policy tickets_own_read on public.tickets;
create policy tickets_own_read on public.tickets
  for select to authenticated
  using (owner_id = (select auth.uid()) or (select public.is_admin()));

drop policy refunds_own_read on public.refunds;
create policy refunds_own_read on public.refunds
  for select to authenticated
  using ((select public.is_admin()) or exists (
    select 1 from public.orders o
     where o.id = refunds.order_id and o.buyer_id = (select auth.uid())));

drop policy checkins_staff_read on public.checkins;
create policy checkins_staff_read on public.checkins
  for select to authenticated
  using ((select public.is_admin()) or exists (
    select 1 from public.event_staff s
     where s.event_id = checkins.event_id and s.user_id = (select auth.uid())));

-- unindexed_foreign_keys: deleting a user or a ticket type must not scan these tables.
create index events_created_by_idx on public.events (created_by);
create index event_staff_created_by_idx on public.event_staff (created_by);
create index tickets_last_entry_by_idx on public.tickets (last_entry_by);
create index tickets_ticket_type_idx on public.tickets (ticket_type_id);
create index queue_admissions_used_order_idx on public.queue_admissions_used (order_id);
