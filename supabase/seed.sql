-- Demo data for local runs (`deno task dev`, `supabase db reset`).
-- Ids are fixed so the gateway can print tokens and curl lines for them
-- (see functions/_dev/demo.ts).

insert into auth.users (instance_id, id, aud, role, email, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
values
  ('00000000-0000-0000-0000-000000000000', '00000000-0000-4000-8000-000000000001', 'authenticated',
   'authenticated', 'demo-user@crodify.local', now(), '{"provider":"email"}',
   '{"display_name":"Demo Buyer"}', now(), now()),
  ('00000000-0000-0000-0000-000000000000', '00000000-0000-4000-8000-000000000002', 'authenticated',
   'authenticated', 'demo-admin@crodify.local', now(), '{"provider":"email"}',
   '{"display_name":"Demo Admin"}', now(), now()),
  ('00000000-0000-0000-0000-000000000000', '00000000-0000-4000-8000-000000000003', 'authenticated',
   'authenticated', 'demo-scanner@crodify.local', now(), '{"provider":"email"}',
   '{"display_name":"Demo Door Scanner"}', now(), now()),
  ('00000000-0000-0000-0000-000000000000', '00000000-0000-4000-8000-000000000004', 'authenticated',
   'authenticated', 'demo-coordinator@crodify.local', now(), '{"provider":"email"}',
   '{"display_name":"Demo Coordinator"}', now(), now())
on conflict (id) do nothing;

insert into public.user_roles (user_id, role) values
  ('00000000-0000-4000-8000-000000000001', 'user'),
  ('00000000-0000-4000-8000-000000000002', 'user'),
  ('00000000-0000-4000-8000-000000000002', 'admin'),
  ('00000000-0000-4000-8000-000000000003', 'user'),
  ('00000000-0000-4000-8000-000000000003', 'scanner'),
  ('00000000-0000-4000-8000-000000000004', 'user'),
  ('00000000-0000-4000-8000-000000000004', 'coordinator')
on conflict (user_id, role) do nothing;

-- ------------------------------------------------------------------ events
insert into public.events (id, slug, title, description, venue, address, starts_at, ends_at,
                           time_zone, currency, status, max_tickets_per_user, created_by)
values
  ('10000000-0000-4000-8000-000000000001', 'demo-fest', 'Demo Fest',
   'An open-air music festival with three stages.', 'Parque de la Costa',
   'Vivanco 1509, Tigre, Buenos Aires', now() + interval '30 days',
   now() + interval '30 days 8 hours', 'America/Argentina/Buenos_Aires', 'ARS', 'published', 6,
   '00000000-0000-4000-8000-000000000002'),
  ('10000000-0000-4000-8000-000000000002', 'jazz-night', 'Jazz Night',
   'An intimate evening of jazz standards.', 'Usina del Arte',
   'Agustín R. Caffarena 1, CABA', now() + interval '10 days',
   now() + interval '10 days 3 hours', 'America/Argentina/Buenos_Aires', 'ARS', 'published', 4,
   '00000000-0000-4000-8000-000000000002'),
  ('10000000-0000-4000-8000-000000000003', 'secret-show', 'Secret Show (draft)',
   'Not announced yet.', 'TBA', '', now() + interval '60 days',
   now() + interval '60 days 2 hours', 'America/Argentina/Buenos_Aires', 'ARS', 'draft', 2,
   '00000000-0000-4000-8000-000000000002')
on conflict (id) do nothing;

insert into public.event_staff (event_id, user_id, role, created_by) values
  ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000003', 'scanner',
   '00000000-0000-4000-8000-000000000002'),
  ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000004', 'coordinator',
   '00000000-0000-4000-8000-000000000002'),
  ('10000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003', 'scanner',
   '00000000-0000-4000-8000-000000000002')
on conflict do nothing;
