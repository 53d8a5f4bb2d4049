-- Fund budgets (基金预算, tongchou-store::budget; the chain in tongchou-app::budget). For a
-- year, the original budget (number 0) and its adjustments (1, 2, …), each compiled region by
-- region and carried through the chain: counties submit, cities review (accept or return with a
-- reason) and submit, the province reviews its cities and submits the consolidated budget, then
-- the HRSS review, the finance review and the government's approval, each by another user.
-- stage: compiling | submitted | hrss_reviewed | finance_reviewed | approved.
CREATE TABLE IF NOT EXISTS budgets (
    id         BIGINT PRIMARY KEY,
    year       INTEGER NOT NULL,
    number     INTEGER NOT NULL CHECK (number >= 0),
    stage      TEXT NOT NULL CHECK (stage IN ('compiling', 'submitted', 'hrss_reviewed', 'finance_reviewed', 'approved')),
    created_by BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    reason     TEXT NOT NULL,
    CONSTRAINT budgets_year_number UNIQUE (year, number)
);

-- One section per book (region): where it stands and its current version of lines.
-- status: draft | submitted | returned | accepted.
CREATE TABLE IF NOT EXISTS budget_sections (
    budget_id    BIGINT NOT NULL,
    region       BIGINT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'returned', 'accepted')),
    version      INTEGER NOT NULL CHECK (version >= 1),
    submitted_by BIGINT,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (budget_id, region)
);

-- Every version of a section's lines, never overwritten: an edit writes a new version with all
-- its lines. item: a key of data/budget-items.toml, or 'opening' (the year's opening balance).
-- source: where the figure comes from (the ledger and the rates, or what the user entered).
CREATE TABLE IF NOT EXISTS budget_lines (
    budget_id  BIGINT NOT NULL,
    region     BIGINT NOT NULL,
    version    INTEGER NOT NULL,
    item       TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    source     TEXT NOT NULL,
    note       TEXT NOT NULL,
    PRIMARY KEY (budget_id, region, version, item)
);

-- The chain's actions, each with who, when and why (also in the audit log).
-- seq orders them (1, 2, 3, …).
CREATE TABLE IF NOT EXISTS budget_actions (
    id        BIGINT PRIMARY KEY,
    seq       BIGINT NOT NULL UNIQUE,
    budget_id BIGINT NOT NULL,
    region    BIGINT NOT NULL,
    action    TEXT NOT NULL,
    user_id   BIGINT NOT NULL,
    login     TEXT NOT NULL,
    at        TEXT NOT NULL,
    reason    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS budget_actions_budget ON budget_actions (budget_id, region);
