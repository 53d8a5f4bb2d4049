-- Disbursement (统支): the monthly payroll, fund-use plans and their approval, allocation down the
-- levels with its deadline, bank payment files and bank returns.

-- One line per payment to make: (month, person, item, attempt). A rejected payment is re-issued
-- as a new line (item 'reissue', attempt + 1) linked to the original.
CREATE TABLE IF NOT EXISTS payroll_lines (
    month         INTEGER NOT NULL,
    person_id     BIGINT NOT NULL,
    item          TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    county        INTEGER NOT NULL,
    amount_fen    BIGINT NOT NULL CHECK (amount_fen > 0),
    end_to_end    TEXT NOT NULL,
    msg_id        TEXT,
    status        TEXT NOT NULL CHECK (status IN ('planned', 'issued', 'paid', 'returned')),
    -- for a re-issue: the original line's end-to-end id
    reissue_of    TEXT,
    reason        TEXT,
    PRIMARY KEY (month, person_id, item, attempt),
    CONSTRAINT payroll_lines_e2e UNIQUE (end_to_end)
);
CREATE INDEX IF NOT EXISTS payroll_lines_county ON payroll_lines (month, county);
CREATE INDEX IF NOT EXISTS payroll_lines_msg ON payroll_lines (msg_id);

-- Fund-use plans (用款计划): one row per (month, region); counties plan, cities and the province
-- consolidate. The approval row (maker–checker) is in `approvals`.
CREATE TABLE IF NOT EXISTS fund_plans (
    month         INTEGER NOT NULL,
    region        INTEGER NOT NULL,
    level         TEXT NOT NULL CHECK (level IN ('county', 'city', 'province')),
    planned_fen   BIGINT NOT NULL CHECK (planned_fen >= 0),
    approved_fen  BIGINT,
    submitted_by  BIGINT NOT NULL,
    submitted_on  TEXT NOT NULL,
    deadline      TEXT NOT NULL,
    approval_id   BIGINT,
    status        TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'partly_approved', 'rejected')),
    PRIMARY KEY (month, region),
    CHECK (approved_fen IS NULL OR (approved_fen >= 0 AND approved_fen <= planned_fen))
);

CREATE TABLE IF NOT EXISTS fund_plan_items (
    month       INTEGER NOT NULL,
    county      INTEGER NOT NULL,
    item        TEXT NOT NULL,
    amount_fen  BIGINT NOT NULL CHECK (amount_fen >= 0),
    PRIMARY KEY (month, county, item)
);

-- Money moved down a level for a month, with the deadline it had to meet.
CREATE TABLE IF NOT EXISTS allocations (
    month         INTEGER NOT NULL,
    region        INTEGER NOT NULL,
    level         TEXT NOT NULL CHECK (level IN ('province', 'city', 'county')),
    amount_fen    BIGINT NOT NULL CHECK (amount_fen >= 0),
    deadline      TEXT NOT NULL,
    done_on       TEXT NOT NULL,
    delay_days    INTEGER NOT NULL CHECK (delay_days >= 0),
    transfer_key  TEXT NOT NULL,
    PRIMARY KEY (month, region)
);

-- Breaches of the calendar (e.g. city allocation after the 10th).
CREATE TABLE IF NOT EXISTS breaches (
    month        INTEGER NOT NULL,
    region       INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    deadline     TEXT NOT NULL,
    happened_on  TEXT NOT NULL,
    delay_days   INTEGER NOT NULL CHECK (delay_days > 0),
    PRIMARY KEY (month, region, kind)
);

-- Payment files sent to banks (pain.001 and CSV), one message per (county, month, attempt).
CREATE TABLE IF NOT EXISTS payment_files (
    msg_id        TEXT PRIMARY KEY,
    month         INTEGER NOT NULL,
    county        INTEGER NOT NULL,
    payments      BIGINT NOT NULL,
    ctrl_sum_fen  BIGINT NOT NULL,
    xml_sha256    TEXT NOT NULL,
    xml_path      TEXT NOT NULL,
    csv_path      TEXT NOT NULL,
    created_on    TEXT NOT NULL
);

-- Bank status reports read (pain.002 or CSV); re-reading the same file changes nothing.
CREATE TABLE IF NOT EXISTS bank_returns (
    file_sha256  TEXT PRIMARY KEY,
    file_name    TEXT NOT NULL,
    read_on      TEXT NOT NULL,
    lines        BIGINT NOT NULL,
    accepted     BIGINT NOT NULL,
    rejected     BIGINT NOT NULL,
    quarantined  BIGINT NOT NULL,
    conflicts    BIGINT NOT NULL
);

-- Return lines that could not be applied (unknown id, amount mismatch, conflicts): never guessed.
CREATE TABLE IF NOT EXISTS return_quarantine (
    file_sha256  TEXT NOT NULL,
    line_no      BIGINT NOT NULL,
    end_to_end   TEXT NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (file_sha256, line_no)
);
