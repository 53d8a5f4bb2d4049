-- A second factor for staff (issue 13): a TOTP secret (RFC 6238, HMAC-SHA-1, 6 digits, 30 s) per
-- account that enrolled, and the last time step accepted, so that a code is accepted once.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
