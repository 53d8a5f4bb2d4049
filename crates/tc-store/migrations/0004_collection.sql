-- Collection (统收): imports, wage declarations, monthly assessments, the tax bureau's receipts,
-- their application to what is owed, open arrears, individual-account years, and the record of
-- batch job steps (so a killed month resumes and a finished month is never run twice).
-- No foreign keys to persons: the person tables are distributed by person id on a sharded engine.

CREATE TABLE IF NOT EXISTS imports (
    id           BIGINT PRIMARY KEY,
    kind         TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    rows_count   BIGINT NOT NULL,
    imported_at  TEXT NOT NULL,
    imported_by  TEXT NOT NULL,
    CONSTRAINT imports_kind_file UNIQUE (kind, file_sha256)
);

CREATE TABLE IF NOT EXISTS wage_declarations (
    person_id    BIGINT NOT NULL,
    period       INTEGER NOT NULL,
    employer_id  BIGINT NOT NULL,
    declared_fen BIGINT NOT NULL CHECK (declared_fen >= 0),
    import_id    BIGINT NOT NULL,
    PRIMARY KEY (person_id, period)
);

CREATE TABLE IF NOT EXISTS assessments (
    person_id    BIGINT NOT NULL,
    period       INTEGER NOT NULL,
    county       INTEGER NOT NULL,
    employer_id  BIGINT NOT NULL,
    payer_kind   TEXT NOT NULL CHECK (payer_kind IN ('employee', 'flexible')),
    declared_fen BIGINT NOT NULL CHECK (declared_fen >= 0),
    base_fen     BIGINT NOT NULL CHECK (base_fen >= 0),
    pooling_fen  BIGINT NOT NULL CHECK (pooling_fen >= 0),
    account_fen  BIGINT NOT NULL CHECK (account_fen >= 0),
    due_date     TEXT NOT NULL,
    batch_id     BIGINT NOT NULL,
    PRIMARY KEY (person_id, period)
);
CREATE INDEX IF NOT EXISTS assessments_period_county ON assessments (period, county);

CREATE TABLE IF NOT EXISTS receipts (
    receipt      TEXT PRIMARY KEY,
    person_id    BIGINT NOT NULL,
    period       INTEGER NOT NULL,
    paid_fen     BIGINT NOT NULL CHECK (paid_fen > 0),
    paid_on      TEXT NOT NULL,
    import_id    BIGINT NOT NULL,
    batch_id     BIGINT
);
CREATE INDEX IF NOT EXISTS receipts_unmatched ON receipts (batch_id, period);

CREATE TABLE IF NOT EXISTS applications (
    receipt      TEXT NOT NULL,
    period       INTEGER NOT NULL,
    person_id    BIGINT NOT NULL,
    county       INTEGER NOT NULL,
    amount_fen   BIGINT NOT NULL CHECK (amount_fen > 0),
    pooling_fen  BIGINT NOT NULL CHECK (pooling_fen >= 0),
    account_fen  BIGINT NOT NULL CHECK (account_fen >= 0),
    days_late    INTEGER NOT NULL,
    late_fee_fen BIGINT NOT NULL CHECK (late_fee_fen >= 0),
    batch_id     BIGINT NOT NULL,
    PRIMARY KEY (receipt, period),
    CHECK (pooling_fen + account_fen = amount_fen)
);
CREATE INDEX IF NOT EXISTS applications_batch_county ON applications (batch_id, county);
CREATE INDEX IF NOT EXISTS applications_person ON applications (person_id, period);

-- Open items only: an assessment with something still unpaid. Settled rows are deleted.
CREATE TABLE IF NOT EXISTS arrears (
    person_id         BIGINT NOT NULL,
    period            INTEGER NOT NULL,
    county            INTEGER NOT NULL,
    employer_id       BIGINT NOT NULL,
    due_date          TEXT NOT NULL,
    total_fen         BIGINT NOT NULL,
    account_total_fen BIGINT NOT NULL,
    paid_fen          BIGINT NOT NULL,
    PRIMARY KEY (person_id, period),
    CHECK (paid_fen >= 0 AND paid_fen < total_fen)
);
CREATE INDEX IF NOT EXISTS arrears_county ON arrears (county);

-- Unapplied money (receipt parts that matched nothing owed): held, never guessed.
CREATE TABLE IF NOT EXISTS unapplied (
    receipt    TEXT PRIMARY KEY,
    person_id  BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    reason     TEXT NOT NULL,
    batch_id   BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS account_years (
    person_id              BIGINT NOT NULL,
    year                   INTEGER NOT NULL,
    opening_fen            BIGINT NOT NULL,
    contributions_fen      BIGINT NOT NULL,
    interest_opening_fen   BIGINT NOT NULL,
    interest_contrib_fen   BIGINT NOT NULL,
    closing_fen            BIGINT NOT NULL,
    rate                   TEXT NOT NULL,
    PRIMARY KEY (person_id, year),
    CHECK (closing_fen = opening_fen + contributions_fen + interest_opening_fen + interest_contrib_fen)
);

-- Counties whose agency still has an income account (收入户); all others are collected by the
-- tax bureau straight into the provincial fiscal special account.
CREATE TABLE IF NOT EXISTS county_settings (
    county              INTEGER PRIMARY KEY,
    has_income_account  INTEGER NOT NULL DEFAULT 0
);

-- Historical balances of cities and counties, remitted once to the province (by 2020-01-31);
-- fixed deposits at maturity.
CREATE TABLE IF NOT EXISTS historical_balances (
    id            BIGINT PRIMARY KEY,
    region        INTEGER NOT NULL,
    deposit_kind  TEXT NOT NULL CHECK (deposit_kind IN ('demand', 'fixed')),
    amount_fen    BIGINT NOT NULL CHECK (amount_fen > 0),
    maturity      TEXT,
    remitted_on   TEXT,
    transfer_key  TEXT
);

-- Batch job steps: (job, period, step) is done at most once.
CREATE TABLE IF NOT EXISTS job_steps (
    job          TEXT NOT NULL,
    period       INTEGER NOT NULL,
    step         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('done')),
    finished_at  TEXT NOT NULL,
    details      TEXT NOT NULL,
    PRIMARY KEY (job, period, step)
);
