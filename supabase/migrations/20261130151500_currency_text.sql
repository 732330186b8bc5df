-- Currencies were char(3): blank-padded by type, so readers trimmed them
-- (`.trim()` in TypeScript, `::text` in SQL). text keeps the same CHECK (three
-- capital letters) and reads back exactly as written.
alter table public.events alter column currency type text;
alter table public.orders alter column currency type text;
alter table public.refunds alter column currency type text;
alter table public.simulated_payments alter column currency type text;
alter table public.chargebacks alter column currency type text;
