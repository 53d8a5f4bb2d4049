-- Registry (参保登记): employers, insured persons, their dated changes, pensioners and the
-- pensions awarded to them. Read and written through crates/tc-store/src/registry.rs.
--
-- Distribution on a sharded engine (Citus): `employers` is a reference table (replicated);
-- `persons`, `person_events`, `pensioners` and `pensions` are distributed by person id and
-- co-located, so their keys start with it; `person_ids` is distributed by the ID number: it is
-- where an ID number is unique, because a unique key of a distributed table must contain its
-- distribution column. The only foreign key is persons -> employers (to a reference table);
-- the tables hanging off a person have none (as in 0004): PostgreSQL checks a foreign key row by
-- row, which made loading the events of 100,000 persons 2.5x slower (1.5x for the employer key of
-- the persons themselves); their writers keep them consistent inside one transaction instead.
-- Money in fen (BIGINT), dates as 'YYYY-MM-DD' TEXT, months as INTEGER yyyymm, indices as BIGINT
-- scaled by 1e8 (tongchou_core::Ratio).

CREATE TABLE IF NOT EXISTS employers (
    id            BIGINT PRIMARY KEY,
    credit_code   TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    -- GB/T 2260 code of the handling county (the registration area of the credit code)
    county        INTEGER NOT NULL,
    -- GB/T 4754-2017 section letter, optionally with division/group/class digits
    industry      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
    status_since  TEXT NOT NULL,
    registered_on TEXT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS employers_county ON employers (county);

CREATE TABLE IF NOT EXISTS persons (
    id             BIGINT PRIMARY KEY,
    id_number      TEXT NOT NULL,
    name           TEXT NOT NULL,
    sex            TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    birth          TEXT NOT NULL,
    category       TEXT NOT NULL CHECK (category IN ('male', 'female-cadre', 'female-worker')),
    -- county of insurance (handling agency)
    county         INTEGER NOT NULL,
    employer_id    BIGINT REFERENCES employers (id),
    payer_kind     TEXT NOT NULL CHECK (payer_kind IN ('employee', 'flexible')),
    status         TEXT NOT NULL
                   CHECK (status IN ('active', 'suspended', 'retired', 'deceased', 'transferred_out')),
    status_since   TEXT NOT NULL,
    -- first insured
    enrolled_on    TEXT NOT NULL,
    -- declared monthly wage of an employee, or the base a flexible payer chose
    declared_fen   BIGINT NOT NULL CHECK (declared_fen >= 0),
    -- contribution history summary and individual account as at the first day of `as_of`
    as_of          INTEGER NOT NULL,
    paid_months    INTEGER NOT NULL CHECK (paid_months >= 0),
    deemed_months  INTEGER NOT NULL CHECK (deemed_months >= 0),
    avg_index      BIGINT NOT NULL CHECK (avg_index >= 0),
    balance_fen    BIGINT NOT NULL CHECK (balance_fen >= 0),
    version        BIGINT NOT NULL DEFAULT 0,
    CHECK (payer_kind = 'employee' OR employer_id IS NULL),
    CHECK (payer_kind = 'flexible' OR status <> 'active' OR employer_id IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS persons_county_status ON persons (county, status);
CREATE INDEX IF NOT EXISTS persons_employer ON persons (employer_id);

-- ID number -> person (unique); the lookup path for imports and the tax bureau's results.
CREATE TABLE IF NOT EXISTS person_ids (
    id_number  TEXT PRIMARY KEY,
    person_id  BIGINT NOT NULL
);

-- Dated changes of a person, in order: enrolment, change of employer, move to another county
-- inside the province (no fund transfer under provincial pooling; the history is kept),
-- suspension and resumption, termination, transfer out of the province, retirement, death.
-- The columns without `from_` give the state after the event.
CREATE TABLE IF NOT EXISTS person_events (
    person_id      BIGINT NOT NULL,
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    event_date     TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('enrol', 'change_employer', 'move_county',
                       'suspend', 'resume', 'terminate', 'transfer_out', 'retire', 'death')),
    status         TEXT NOT NULL
                   CHECK (status IN ('active', 'suspended', 'retired', 'deceased', 'transferred_out')),
    county         INTEGER NOT NULL,
    from_county    INTEGER,
    employer_id    BIGINT,
    from_employer  BIGINT,
    PRIMARY KEY (person_id, seq)
);

CREATE TABLE IF NOT EXISTS pensioners (
    person_id            BIGINT PRIMARY KEY,
    -- county that pays (the county of insurance at retirement)
    county               INTEGER NOT NULL,
    -- month of retirement (yyyymm); the pension is paid from the next month
    retire_period        INTEGER NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deceased')),
    status_since         TEXT NOT NULL,
    -- paid + deemed months at retirement (the yearly adjustment links to them)
    contribution_months  INTEGER NOT NULL CHECK (contribution_months >= 0),
    -- the pension in force: total_fen of the latest row of `pensions`
    monthly_fen          BIGINT NOT NULL CHECK (monthly_fen >= 0),
    bank_code            TEXT NOT NULL,
    bank_name            TEXT NOT NULL,
    bank_account         TEXT NOT NULL,
    version              BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS pensioners_county_status ON pensioners (county, status);

-- The pension of a pensioner over time: the award at retirement (国发〔2005〕38号 components and
-- the inputs they came from), then each change (yearly adjustments, recalculations).
CREATE TABLE IF NOT EXISTS pensions (
    person_id                  BIGINT NOT NULL,
    -- first month (yyyymm) this row is paid for
    effective_from             INTEGER NOT NULL,
    reason                     TEXT NOT NULL CHECK (reason IN ('award', 'adjustment', 'recalculation')),
    benefit_base_fen           BIGINT NOT NULL CHECK (benefit_base_fen > 0),
    avg_index                  BIGINT NOT NULL CHECK (avg_index >= 0),
    deemed_index               BIGINT NOT NULL CHECK (deemed_index >= 0),
    paid_months                INTEGER NOT NULL CHECK (paid_months >= 0),
    deemed_months              INTEGER NOT NULL CHECK (deemed_months >= 0),
    account_at_retirement_fen  BIGINT NOT NULL CHECK (account_at_retirement_fen >= 0),
    -- 计发月数 in tenths of a month
    divisor_tenths             INTEGER NOT NULL CHECK (divisor_tenths > 0),
    basic_fen                  BIGINT NOT NULL CHECK (basic_fen >= 0),
    account_fen                BIGINT NOT NULL CHECK (account_fen >= 0),
    transitional_fen           BIGINT NOT NULL CHECK (transitional_fen >= 0),
    -- the yearly increases since the award, as one amount
    adjustment_fen             BIGINT NOT NULL CHECK (adjustment_fen >= 0),
    total_fen                  BIGINT NOT NULL,
    PRIMARY KEY (person_id, effective_from),
    CHECK (total_fen = basic_fen + account_fen + transitional_fen + adjustment_fen)
);
