-- The plan chain of the notice (issue 10 item 6): each county agency submits its monthly fund-use
-- plan, its city returns it (with a reason) or forwards it, and the city submits its consolidated
-- plan once all its counties are forwarded. The month's plans step applies to the finance
-- department with the submitted figures only.
--
-- plan_chain: one row per (month, region) in the chain, its current state and latest version.
-- A county: submitted -> returned | forwarded; returned -> submitted (a new version).
-- A city: submitted (once).
CREATE TABLE IF NOT EXISTS plan_chain (
    month BIGINT NOT NULL,
    region BIGINT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('county', 'city')),
    state TEXT NOT NULL CHECK (state IN ('submitted', 'returned', 'forwarded')),
    version BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (month, region)
);

-- Every version submitted, never overwritten: a returned plan and its resubmission both remain.
CREATE TABLE IF NOT EXISTS plan_versions (
    month BIGINT NOT NULL,
    region BIGINT NOT NULL,
    version BIGINT NOT NULL,
    total_fen BIGINT NOT NULL CHECK (total_fen >= 0),
    note TEXT NOT NULL,
    submitted_by BIGINT NOT NULL,
    submitted_login TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    PRIMARY KEY (month, region, version)
);

-- The items of each version (a city's: the sum of its forwarded counties').
CREATE TABLE IF NOT EXISTS plan_version_items (
    month BIGINT NOT NULL,
    region BIGINT NOT NULL,
    version BIGINT NOT NULL,
    item TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
    PRIMARY KEY (month, region, version, item)
);

-- Every action of the chain in order, with its reason or note.
CREATE TABLE IF NOT EXISTS plan_actions (
    month BIGINT NOT NULL,
    region BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    version BIGINT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('submit', 'return', 'forward')),
    user_id BIGINT NOT NULL,
    login TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (month, region, seq)
);
