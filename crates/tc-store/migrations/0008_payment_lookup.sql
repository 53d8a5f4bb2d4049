-- The payment lines of a bank message are found through the message's month and county (kept in
-- `payment_files`) and the `payroll_lines_county` index, so the index on `msg_id` — rewritten for
-- every line each time a payment was issued — is dropped (measured in docs/PERFORMANCE.md).
DROP INDEX IF EXISTS payroll_lines_msg;
