-- Maker–checker on the county agencies' paying accounts (issue 10 item 2): a version set by one
-- user (`paying_account_write`: the provincial bureau officer, the county's agency) is `pending`
-- until a different user holding `paying_account_confirm` (the provincial bureau's reviewer)
-- confirms it or refuses it with a reason. Only a confirmed version is ever in force: a pending
-- or refused one draws no payment file. Versions set before this migration were set under the
-- old rule and stay in force (`confirmed`, no reviewer recorded).
ALTER TABLE agency_accounts ADD COLUMN status TEXT NOT NULL DEFAULT 'confirmed';
ALTER TABLE agency_accounts ADD COLUMN reviewed_by TEXT;
ALTER TABLE agency_accounts ADD COLUMN reviewed_by_id BIGINT;
ALTER TABLE agency_accounts ADD COLUMN reviewed_at TEXT;
ALTER TABLE agency_accounts ADD COLUMN review_note TEXT;
