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

-- Every agency's bank accounts as managed data, not only the counties' paying accounts: the kind
-- is the ledger's bank-account kind the bank account stands behind (data/chart-of-accounts.toml):
-- `expenditure_account` (支出户; a county's is the debtor of its payment files),
-- `income_account` (收入户) of a province, city or county agency, and the province's
-- `fiscal_special_account` (财政专户). A version is numbered per region across its kinds.
ALTER TABLE agency_accounts ADD COLUMN kind TEXT NOT NULL DEFAULT 'expenditure_account';
