-- Foundation: roles (Supabase RBAC guide), profiles, events, event staff, audit log.
-- RLS is enabled on every table and privileges are granted explicitly, because
-- new Supabase projects no longer expose public tables to the API by default.

create type public.app_role as enum ('user', 'admin', 'scanner', 'coordinator');
create type public.event_status as enum ('draft', 'published', 'cancelled', 'finished');
create type public.staff_role as enum ('scanner', 'coordinator');

-- Keeps updated_at honest for edits from Studio as well as from the API.
create function public.touch_updated_at() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

-- ---------------------------------------------------------------- user_roles
create table public.user_roles (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.app_role not null,
  created_at timestamptz not null default now(),
  unique (user_id, role)
);
comment on table public.user_roles is
  'Global roles per user. custom_access_token_hook copies them into the JWT claim user_roles.';

-- Supabase Auth calls this hook when it mints an access token (enable it in
-- config.toml / the dashboard). It adds the user's roles as a string array.
create function public.custom_access_token_hook(event jsonb) returns jsonb
language plpgsql stable set search_path = '' as $$
declare
  roles jsonb;
begin
  select coalesce(jsonb_agg(ur.role::text order by ur.role), '[]'::jsonb)
    into roles
    from public.user_roles ur
   where ur.user_id = (event ->> 'user_id')::uuid;
  return jsonb_set(event, '{claims,user_roles}', roles);
end;
$$;
comment on function public.custom_access_token_hook(jsonb) is
  'Supabase Auth access-token hook: writes public.user_roles into the user_roles claim.';

grant usage on schema public to supabase_auth_admin;
grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;
revoke execute on function public.custom_access_token_hook(jsonb) from authenticated, anon, public;

-- True when the caller's JWT (PostgREST) carries the admin role.
create function public.is_admin() returns boolean
language sql stable set search_path = '' as $$
  select coalesce((auth.jwt() -> 'user_roles') ? 'admin', false)
      or coalesce((auth.jwt() -> 'app_metadata' -> 'roles') ? 'admin', false)
$$;
comment on function public.is_admin() is 'True when the request JWT carries the admin role.';

-- ---------------------------------------------------------------- profiles
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text check (email is null or length(email) <= 320),
  display_name text check (display_name is null or length(display_name) <= 200),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.profiles is 'Public profile of each auth user, created by a trigger on auth.users.';
create trigger profiles_touch before update on public.profiles
  for each row execute function public.touch_updated_at();

create function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.profiles (id, email, display_name)
  values (new.id, new.email, new.raw_user_meta_data ->> 'display_name')
  on conflict (id) do nothing;
  return new;
end;
$$;
revoke execute on function public.handle_new_user() from anon, authenticated, public;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();

-- ---------------------------------------------------------------- events
create table public.events (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 120),
  title text not null check (length(title) between 1 and 200),
  description text not null default '' check (length(description) <= 10000),
  venue text not null default '' check (length(venue) <= 200),
  address text not null default '' check (length(address) <= 500),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  time_zone text not null default 'America/Argentina/Buenos_Aires'
    check (length(time_zone) between 1 and 64),
  currency char(3) not null default 'ARS' check (currency ~ '^[A-Z]{3}$'),
  status public.event_status not null default 'draft',
  cover_image_url text check (cover_image_url is null or cover_image_url ~ '^https?://'),
  max_tickets_per_user integer not null default 10 check (max_tickets_per_user between 1 and 100),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint events_ends_after_starts check (ends_at > starts_at)
);
comment on table public.events is
  'Events on sale. Only published events are visible to the public (RLS).';
comment on column public.events.max_tickets_per_user is
  'Cap on tickets one buyer may hold for this event across all orders.';
create index events_published_starts_idx on public.events (starts_at, id) where status = 'published';
create trigger events_touch before update on public.events
  for each row execute function public.touch_updated_at();

-- ---------------------------------------------------------------- event_staff
create table public.event_staff (
  event_id uuid not null references public.events (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.staff_role not null,
  created_at timestamptz not null default now(),
  created_by uuid references auth.users (id) on delete set null,
  primary key (event_id, user_id)
);
comment on table public.event_staff is
  'Door scanners and coordinators of one event; checked per request, not in the JWT.';
create index event_staff_user_idx on public.event_staff (user_id);

-- ---------------------------------------------------------------- audit_log
create table public.audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor_id uuid,
  action text not null check (length(action) <= 100),
  entity text not null check (length(entity) <= 100),
  entity_id text,
  data jsonb not null default '{}'::jsonb
);
comment on table public.audit_log is
  'Append-only record of every state change, written in the same transaction as the change.';
create index audit_log_entity_idx on public.audit_log (entity, entity_id, at);

-- ---------------------------------------------------------------- RLS + grants
alter table public.user_roles enable row level security;
alter table public.profiles enable row level security;
alter table public.events enable row level security;
alter table public.event_staff enable row level security;
alter table public.audit_log enable row level security;

revoke all on public.user_roles, public.profiles, public.events, public.event_staff,
  public.audit_log from anon, authenticated;
grant all on public.user_roles, public.profiles, public.events, public.event_staff,
  public.audit_log to service_role;

grant select on public.user_roles to authenticated;
grant select on public.user_roles to supabase_auth_admin;
create policy user_roles_auth_admin on public.user_roles
  for select to supabase_auth_admin using (true);
create policy user_roles_own on public.user_roles
  for select to authenticated using (user_id = auth.uid() or public.is_admin());

grant select, update (display_name) on public.profiles to authenticated;
create policy profiles_read_own on public.profiles
  for select to authenticated using (id = auth.uid() or public.is_admin());
create policy profiles_update_own on public.profiles
  for update to authenticated using (id = auth.uid()) with check (id = auth.uid());

grant select on public.events to anon, authenticated;
grant insert, update, delete on public.events to authenticated;
create policy events_public_read on public.events
  for select to anon, authenticated using (status = 'published');
create policy events_admin_all on public.events
  for all to authenticated using (public.is_admin()) with check (public.is_admin());

grant select on public.event_staff to authenticated;
create policy event_staff_read on public.event_staff
  for select to authenticated using (user_id = auth.uid() or public.is_admin());

grant select on public.audit_log to authenticated;
create policy audit_log_admin_read on public.audit_log
  for select to authenticated using (public.is_admin());
