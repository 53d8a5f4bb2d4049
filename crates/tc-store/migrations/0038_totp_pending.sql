-- A second factor enrolled in the browser (issue 13): the new secret waits here until the staff
-- member confirms it with a current code of their authenticator; only then does it replace
-- `totp_secret` and the login ask for codes.
ALTER TABLE users ADD COLUMN totp_pending TEXT;
