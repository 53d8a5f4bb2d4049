-- Gap sharing (缺口分担, 晋政发〔2019〕4号 二(三), mechanisms.md §2; use case
-- `tongchou_app::gap`). A year's gap is computed once (`tongchou gap compute --year Y`): the
-- year's figures in `gap_years`, and per county, cause and level the share one government bears
-- in `gap_shares`, with its explanation. Each government's shares of a year are one liability,
-- recognised in the ledger (category gap_sharing: Dr 应收缺口分担资金 / Cr 财政补贴收入 of its level
-- in its own book) and cleared by its payments into the provincial fiscal special account
-- (`gap_settlements`, each one ledger unit); a share is paid when `paid_fen` = `amount_fen`, and
-- overdue when it is not by `due_date`.
--
-- Portable (SQLite, PostgreSQL, Citus): no sequences, no triggers; money BIGINT fen; dates
-- 'YYYY-MM-DD' TEXT.
CREATE TABLE IF NOT EXISTS gap_years (
    year             INTEGER PRIMARY KEY,
    -- Σ own expenditure and Σ own income of every book (gap-sharing money left out), the gap
    -- G = max(0, expenditure − income) and its parts by cause
    expenditure_fen  BIGINT NOT NULL,
    income_fen       BIGINT NOT NULL,
    gap_fen          BIGINT NOT NULL CHECK (gap_fen >= 0),
    shortfall_fen    BIGINT NOT NULL CHECK (shortfall_fen >= 0),
    noncompliant_fen BIGINT NOT NULL CHECK (noncompliant_fen >= 0),
    policy_fen       BIGINT NOT NULL CHECK (policy_fen >= 0),
    due_date         TEXT NOT NULL,
    -- the parameters used (JSON array of ParamUse)
    parameters       TEXT NOT NULL,
    computed_by      TEXT NOT NULL,
    computed_at      TEXT NOT NULL,
    CHECK (shortfall_fen + noncompliant_fen + policy_fen = gap_fen)
);

CREATE TABLE IF NOT EXISTS gap_shares (
    year        INTEGER NOT NULL,
    -- the county whose gap it is
    county      INTEGER NOT NULL,
    cause       TEXT NOT NULL CHECK (cause IN ('collection_shortfall', 'noncompliant', 'policy')),
    level       TEXT NOT NULL CHECK (level IN ('province', 'city', 'county')),
    -- the government that bears it
    region      INTEGER NOT NULL,
    amount_fen  BIGINT NOT NULL CHECK (amount_fen >= 0),
    paid_fen    BIGINT NOT NULL DEFAULT 0,
    explanation TEXT NOT NULL,
    PRIMARY KEY (year, county, cause, level),
    CHECK (paid_fen >= 0 AND paid_fen <= amount_fen)
);
CREATE INDEX IF NOT EXISTS gap_shares_region ON gap_shares (region, year);

CREATE TABLE IF NOT EXISTS gap_settlements (
    year          INTEGER NOT NULL,
    region        INTEGER NOT NULL,
    -- 1, 2, … per (year, region)
    seq           INTEGER NOT NULL CHECK (seq > 0),
    amount_fen    BIGINT NOT NULL CHECK (amount_fen > 0),
    paid_on       TEXT NOT NULL,
    -- the idempotency key of its ledger unit
    transfer_key  TEXT NOT NULL UNIQUE,
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    PRIMARY KEY (year, region, seq)
);
