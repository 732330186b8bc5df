-- The order status awaiting_payment (issue 14 item 4): a slow payment (cash
-- voucher, ATM, bank transfer, a card under review) is pending for the order,
-- which keeps its tickets held until the payment's deadline. Its own
-- migration: a new enum value is usable only after the transaction that adds
-- it commits, and the next migration's index and checks use it.
alter type public.order_status add value if not exists 'awaiting_payment' after 'pending';
