-- Benefits (crates/tc-engine/src/benefits.rs): retirement applications and the explanation of
-- each pension fixed, yearly adjustment runs, recomputations after a corrected parameter, death
-- records and other payment rolls received for cross-checks (数据比对), death settlements, the
-- one-off amounts the payroll pays (benefit_dues) and recovery cases.
--
-- Distribution on a sharded engine (as 0003/0004): the tables hanging off a person are keyed by
-- person id first; death records and other rolls are keyed by the ID number (as person_ids). No
-- foreign keys, no triggers, no sequences; ids are chosen by the application. Money in fen
-- (BIGINT), months as INTEGER yyyymm, dates as 'YYYY-MM-DD' TEXT, indices as BIGINT scaled by 1e8.

-- 退休审批: one application per person and retirement month, submitted by one user and decided
-- by another through `approvals` (kind 'retirement', object_id = the application id).
CREATE TABLE IF NOT EXISTS retirement_applications (
    person_id      BIGINT NOT NULL,
    id             BIGINT NOT NULL,
    approval_id    BIGINT NOT NULL,
    county         INTEGER NOT NULL,
    -- month of retirement (yyyymm); the pension is paid from the next month
    retire_period  INTEGER NOT NULL,
    -- statutory month, or flexible early / late within the window
    kind           TEXT NOT NULL CHECK (kind IN ('statutory', 'flexible_early', 'flexible_late')),
    status         TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'refused')),
    submitted_by   BIGINT NOT NULL,
    submitted_at   TEXT NOT NULL,
    decided_by     BIGINT,
    decided_at     TEXT,
    -- deemed-period index from the archive review; NULL: the person's own average index
    deemed_index   BIGINT CHECK (deemed_index IS NULL OR deemed_index >= 0),
    bank_code      TEXT NOT NULL,
    bank_name      TEXT NOT NULL,
    bank_account   TEXT NOT NULL,
    -- JSON: the facts checked (months, arrears, account balance with their sources)
    facts          TEXT NOT NULL,
    -- JSON list of {code, reason}: why the checks refuse (at submission, then at the decision)
    refusals       TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (person_id, id),
    CHECK ((status = 'pending') = (decided_by IS NULL))
);
CREATE INDEX IF NOT EXISTS retirement_applications_id ON retirement_applications (id);
CREATE INDEX IF NOT EXISTS retirement_applications_status ON retirement_applications (status, retire_period);
-- at most one open application per person
CREATE UNIQUE INDEX IF NOT EXISTS retirement_applications_open
    ON retirement_applications (person_id) WHERE status = 'pending';

-- The full explanation (inputs, history, rule explanations) of each row of `pensions` written
-- by an approval or a recomputation.
CREATE TABLE IF NOT EXISTS pension_explanations (
    person_id       BIGINT NOT NULL,
    effective_from  INTEGER NOT NULL,
    explanation     TEXT NOT NULL,
    PRIMARY KEY (person_id, effective_from)
);

-- One yearly adjustment per year: the terms resolved from the eligible pensioners' averages.
CREATE TABLE IF NOT EXISTS adjustment_runs (
    year            INTEGER PRIMARY KEY,
    -- the announcement month (yyyymm) whose payroll pays the arrears
    month           INTEGER NOT NULL,
    eligible        BIGINT NOT NULL,
    increase_fen    BIGINT NOT NULL,
    arrears_fen     BIGINT NOT NULL,
    terms           TEXT NOT NULL,
    run_at          TEXT NOT NULL
);

-- A pension recomputed with a corrected parameter: the difference per month and in total for
-- the months already paid (positive: to pay, negative: to recover).
CREATE TABLE IF NOT EXISTS benefit_corrections (
    person_id         BIGINT NOT NULL,
    id                BIGINT NOT NULL,
    county            INTEGER NOT NULL,
    -- first month paid at the new amount (yyyymm)
    month             INTEGER NOT NULL,
    old_monthly_fen   BIGINT NOT NULL,
    new_monthly_fen   BIGINT NOT NULL,
    months            INTEGER NOT NULL CHECK (months >= 0),
    difference_fen    BIGINT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('to_pay', 'to_recover', 'none')),
    note              TEXT NOT NULL,
    explanation       TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    PRIMARY KEY (person_id, id),
    CONSTRAINT benefit_corrections_once UNIQUE (person_id, month)
);

-- Death records received from public security (公安) and civil affairs (民政).
CREATE TABLE IF NOT EXISTS death_records (
    id_number      TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('公安', '民政')),
    died           TEXT NOT NULL,
    import_id      BIGINT NOT NULL,
    -- set by the cross-check: the person found, the month of the run, and what it meant
    person_id      BIGINT,
    county         INTEGER,
    checked_month  INTEGER,
    outcome        TEXT CHECK (outcome IS NULL OR outcome IN
                       ('pensioner', 'insured', 'already_deceased', 'no_match')),
    PRIMARY KEY (id_number, source)
);
CREATE INDEX IF NOT EXISTS death_records_unchecked ON death_records (checked_month);

-- Other payment rolls (e.g. the urban-rural residents' pension): who they paid in which month.
CREATE TABLE IF NOT EXISTS other_roll_entries (
    id_number      TEXT NOT NULL,
    roll           TEXT NOT NULL,
    month          INTEGER NOT NULL,
    import_id      BIGINT NOT NULL,
    checked_month  INTEGER,
    PRIMARY KEY (id_number, roll, month)
);
CREATE INDEX IF NOT EXISTS other_roll_entries_unchecked ON other_roll_entries (checked_month);

-- What is paid on a pensioner's death (rules::benefit::death_settlement), once.
CREATE TABLE IF NOT EXISTS death_settlements (
    person_id           BIGINT PRIMARY KEY,
    county              INTEGER NOT NULL,
    died                TEXT NOT NULL,
    -- the payroll month that pays it
    due_month           INTEGER NOT NULL,
    monthly_fen         BIGINT NOT NULL,
    months_paid         INTEGER NOT NULL CHECK (months_paid >= 0),
    account_paid_fen    BIGINT NOT NULL CHECK (account_paid_fen >= 0),
    funeral_fen         BIGINT NOT NULL CHECK (funeral_fen >= 0),
    survivor_fen        BIGINT NOT NULL CHECK (survivor_fen >= 0),
    refund_fen          BIGINT NOT NULL CHECK (refund_fen >= 0),
    explanation         TEXT NOT NULL
);

-- One-off amounts for the payroll of `due_month`: yearly adjustment arrears, death settlement
-- items, positive corrections. `item` is a tc-engine disbursement::Item; `source` names what
-- created the row (adjustment:YYYY, death, correction:ID).
CREATE TABLE IF NOT EXISTS benefit_dues (
    person_id   BIGINT NOT NULL,
    source      TEXT NOT NULL,
    item        TEXT NOT NULL CHECK (item IN ('adjustment_arrears', 'funeral_grant',
                    'survivor_grant', 'account_refund')),
    due_month   INTEGER NOT NULL,
    county      INTEGER NOT NULL,
    amount_fen  BIGINT NOT NULL CHECK (amount_fen > 0),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (person_id, source, item)
);
CREATE INDEX IF NOT EXISTS benefit_dues_month ON benefit_dues (due_month, county);

-- Money to recover: pension paid for months after death, duplicate receipt, an overpayment
-- found by a recomputation. Opened once per (person, kind, month, source).
CREATE TABLE IF NOT EXISTS recovery_cases (
    person_id     BIGINT NOT NULL,
    id            BIGINT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('paid_after_death', 'duplicate_receipt', 'correction')),
    county        INTEGER NOT NULL,
    -- the month the amount was paid for (yyyymm)
    month         INTEGER NOT NULL,
    amount_fen    BIGINT NOT NULL CHECK (amount_fen >= 0),
    status        TEXT NOT NULL CHECK (status IN ('open', 'recovered', 'written_off')),
    -- what found it: 'death', the other roll's name, 'correction:ID'
    source        TEXT NOT NULL,
    opened_month  INTEGER NOT NULL,
    details       TEXT NOT NULL,
    PRIMARY KEY (person_id, id),
    CONSTRAINT recovery_cases_once UNIQUE (person_id, kind, month, source)
);
CREATE INDEX IF NOT EXISTS recovery_cases_county ON recovery_cases (county, kind, status);
