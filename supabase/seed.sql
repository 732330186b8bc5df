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

-- ------------------------------------------------------------------ events: ticket types (issue 3)
-- Prices are integer minor units (centavos). Jazz Night's "Front Row" is nearly sold out: 2 of 3
-- seats are sold, backed by a real paid order of the demo user below, so stats stay truthful.
insert into public.ticket_types (id, event_id, name, description, price, capacity, sold,
                                 sales_start_at, sales_end_at, max_per_order, sort_order,
                                 is_active, allow_reentry)
values
  ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'General',
   'Access to every stage.', 1500000, 500, 0, null, null, 6, 10, true, true),
  ('20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001', 'VIP',
   'Front-of-stage area and lounge.', 4500000, 50, 0, null, null, 4, 20, true, true),
  ('20000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000001', 'Early Bird',
   'Sold before the line-up was announced.', 900000, 100, 0, null, now() - interval '1 day', 4, 0,
   false, true),
  ('20000000-0000-4000-8000-000000000004', '10000000-0000-4000-8000-000000000002', 'Platea',
   'Seated, general admission.', 800000, 120, 0, null, null, 4, 10, true, false),
  ('20000000-0000-4000-8000-000000000005', '10000000-0000-4000-8000-000000000002', 'Front Row',
   'The first row, by the stage.', 2000000, 3, 2, null, null, 2, 20, true, false),
  ('20000000-0000-4000-8000-000000000006', '10000000-0000-4000-8000-000000000003', 'General',
   'On sale once the show is announced.', 1000000, 200, 0, null, null, 2, 10, true, false)
on conflict (id) do nothing;

insert into public.orders (id, buyer_id, event_id, status, total, currency, expires_at,
                           buyer_email, idempotency_key, request_hash, paid_at)
values
  ('30000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001',
   '10000000-0000-4000-8000-000000000002', 'paid', 4000000, 'ARS', now() + interval '15 minutes',
   'demo-user@crodify.local', 'seed-demo-front-row', 'seed', now())
on conflict (id) do nothing;

insert into public.order_items (id, order_id, ticket_type_id, quantity, unit_price, held_until)
values
  ('31000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001',
   '20000000-0000-4000-8000-000000000005', 2, 2000000, null)
on conflict (id) do nothing;

insert into public.tickets (id, order_id, event_id, ticket_type_id, owner_id, attendee_name,
                            attendee_email)
values
  ('32000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001',
   '10000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000005',
   '00000000-0000-4000-8000-000000000001', 'Demo Buyer', 'demo-user@crodify.local'),
  ('32000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000001',
   '10000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000005',
   '00000000-0000-4000-8000-000000000001', 'Demo Guest', 'demo-user@crodify.local')
on conflict (id) do nothing;
