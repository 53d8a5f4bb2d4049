-- The paying accounts of the county agencies (县社保经办机构基本养老保险基金支出户): the account
-- every pain.001 payment file of the county is drawn on (its debtor), configured by the
-- provincial bureau or the county's own agency (`tongchou bank account set`, use case
-- `tongchou_app::agency_accounts::set`). A change is a new version, never an overwrite: the
-- account in force on a day is the row of the county with the latest `valid_from` on or before
-- that day, and of those the highest `version` (a correction of the same date).
--
-- Portable (SQLite, PostgreSQL, Citus): no sequences, no triggers; dates 'YYYY-MM-DD' TEXT,
-- instants in the one timestamp format (tongchou_store::access::iso_time).
CREATE TABLE IF NOT EXISTS agency_accounts (
    -- the county (GB/T 2260 code of a county-level unit with its own agency)
    region          INTEGER NOT NULL,
    -- 1, 2, … per county, in the order set
    version         INTEGER NOT NULL CHECK (version > 0),
    -- the first day the account pays
    valid_from      TEXT NOT NULL,
    -- the agency as its bank knows it (ISO 20022 Max140Text) and its unified social credit code
    agency_name     TEXT NOT NULL,
    credit_code     TEXT NOT NULL,
    -- the account number, digits only (tongchou_bank::AccountNumber), and its title if the bank
    -- keeps one
    account_number  TEXT NOT NULL,
    account_name    TEXT,
    -- the bank holding the account: its name and its BIC and/or 12-digit CNAPS code (行号)
    bank_name       TEXT NOT NULL,
    bic             TEXT,
    cnaps           TEXT,
    -- who set this version (audit login and user id) and when
    set_by          TEXT NOT NULL,
    set_by_id       BIGINT,
    set_at          TEXT NOT NULL,
    PRIMARY KEY (region, version),
    CHECK (bic IS NOT NULL OR cnaps IS NOT NULL)
);

-- Who read a bank's return file and which region its payments belong to (the county of all its
-- known messages, else their city, else the province), so the page of return files shows each
-- user the files of their region. NULL for files read before this migration.
ALTER TABLE bank_returns ADD COLUMN region INTEGER;
ALTER TABLE bank_returns ADD COLUMN read_by TEXT;
