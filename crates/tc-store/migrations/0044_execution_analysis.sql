-- Quarterly budget-execution analyses (季度预算执行分析, issue 11 item 4; the rules in
-- tongchou-app::analysis). A quarter (YYYYQ: 20211 … 20214) and a region (a county, a city, the
-- province) have one analysis: drafted by its agency from the ledger against the approved budget,
-- every item deviating beyond warning.budget_deviation explained, submitted, accepted or returned
-- with a reason by the level above.
--
-- analyses: the current state. status: draft | submitted | returned | accepted.
CREATE TABLE IF NOT EXISTS analyses (
    quarter    BIGINT NOT NULL,
    region     BIGINT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'returned', 'accepted')),
    version    BIGINT NOT NULL CHECK (version >= 1),
    due_on     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (quarter, region)
);

-- Every version's lines, never overwritten: a redraft or an explanation writes a new version
-- with all its lines. deviation: (executed − expected) ÷ expected as a decimal, '' without an
-- expectation; beyond: 1 when it exceeds the threshold (an explanation is then required).
CREATE TABLE IF NOT EXISTS analysis_lines (
    quarter      BIGINT NOT NULL,
    region       BIGINT NOT NULL,
    version      BIGINT NOT NULL,
    item         TEXT NOT NULL,
    budget_fen   BIGINT NOT NULL,
    executed_fen BIGINT NOT NULL,
    expected_fen BIGINT NOT NULL,
    deviation    TEXT NOT NULL,
    beyond       BIGINT NOT NULL CHECK (beyond IN (0, 1)),
    explanation  TEXT NOT NULL,
    PRIMARY KEY (quarter, region, version, item)
);

-- Every action in order (draft, explain, submit, accept, return) with its user and reason.
CREATE TABLE IF NOT EXISTS analysis_actions (
    quarter BIGINT NOT NULL,
    region  BIGINT NOT NULL,
    seq     BIGINT NOT NULL,
    version BIGINT NOT NULL,
    action  TEXT NOT NULL CHECK (action IN ('draft', 'explain', 'submit', 'accept', 'return')),
    user_id BIGINT NOT NULL,
    login   TEXT NOT NULL,
    at      TEXT NOT NULL,
    reason  TEXT NOT NULL,
    PRIMARY KEY (quarter, region, seq)
);

-- A submission after the due date (quarter end + budget.execution_report_days): one row per
-- late submitted version, with its days late.
CREATE TABLE IF NOT EXISTS analysis_lates (
    quarter      BIGINT NOT NULL,
    region       BIGINT NOT NULL,
    version      BIGINT NOT NULL,
    due_on       TEXT NOT NULL,
    submitted_on TEXT NOT NULL,
    days_late    BIGINT NOT NULL CHECK (days_late > 0),
    PRIMARY KEY (quarter, region, version)
);
