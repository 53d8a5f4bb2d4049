-- Eligibility certification (领取养老金资格认证, issue 10 item 10).
--
-- A pensioner is certified alive at least once every `benefit.certification_interval_months`:
-- silently, from other departments' records of the person seen alive (a file of such events,
-- kind `alive`), in the self-service portal (a stand-in for face verification, marked as such),
-- or at the county agency's counter. The payroll of month M suspends a pensioner whose
-- certification was due before the first day of M (and one named by a death record, pending the
-- cross-check), writes a reminder to one due within `benefit.certification_reminder_days`, and
-- a certification resumes a pensioner it suspended, the months missed paid by the next payroll
-- (`benefit_dues` item `resumed_arrears`).
--
-- Distribution on a sharded engine (as 0007): keyed by person id first; no foreign keys.

-- Where each pensioner stands: the last certification (NULL: never; counted from the day the
-- pension started), and the suspension this mechanism made (NULL: none).
CREATE TABLE IF NOT EXISTS pensioner_certification (
    person_id         BIGINT PRIMARY KEY,
    county            INTEGER NOT NULL,
    last_on           TEXT,
    last_method       TEXT CHECK (last_method IS NULL OR last_method IN ('records', 'self_service', 'counter', 'legacy')),
    -- the payroll month (yyyymm) from which the pensioner is suspended, and why
    suspended_from    INTEGER,
    suspended_reason  TEXT CHECK (suspended_reason IS NULL OR suspended_reason IN ('uncertified', 'death_record')),
    CHECK ((suspended_from IS NULL) = (suspended_reason IS NULL))
);
CREATE INDEX IF NOT EXISTS pensioner_certification_suspended
    ON pensioner_certification (county) WHERE suspended_from IS NOT NULL;

-- Every certification received: the day the person was seen or certified, how, and from where
-- (the department and event of a records file, 'self-service', the clerk's login).
CREATE TABLE IF NOT EXISTS certification_events (
    person_id     BIGINT NOT NULL,
    certified_on  TEXT NOT NULL,
    method        TEXT NOT NULL CHECK (method IN ('records', 'self_service', 'counter', 'legacy')),
    source        TEXT NOT NULL,
    -- the `imports` row of a records file
    import_id     BIGINT,
    recorded_at   TEXT NOT NULL,
    PRIMARY KEY (person_id, certified_on, method, source)
);

-- What the pensioner is told: a reminder before the deadline, the suspension, the resumption
-- with the months missed and their amount. One of each kind per person and payroll month.
CREATE TABLE IF NOT EXISTS certification_notices (
    person_id   BIGINT NOT NULL,
    month       INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('reminder', 'suspended', 'resumed')),
    county      INTEGER NOT NULL,
    due_on      TEXT NOT NULL,
    months      INTEGER NOT NULL DEFAULT 0 CHECK (months >= 0),
    amount_fen  BIGINT NOT NULL DEFAULT 0 CHECK (amount_fen >= 0),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (person_id, month, kind)
);
CREATE INDEX IF NOT EXISTS certification_notices_month ON certification_notices (month, county, kind);

-- `benefit_dues` gets the item `resumed_arrears`. Neither SQLite nor PostgreSQL can widen a
-- CHECK in place portably, so the table is rebuilt (same columns, key and index), as 0013 did.
CREATE TABLE benefit_dues_v25 (
    person_id   BIGINT NOT NULL,
    source      TEXT NOT NULL,
    item        TEXT NOT NULL CHECK (item IN ('adjustment_arrears', 'funeral_grant',
                    'survivor_grant', 'account_refund', 'resumed_arrears')),
    due_month   INTEGER NOT NULL,
    county      INTEGER NOT NULL,
    amount_fen  BIGINT NOT NULL CHECK (amount_fen > 0),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (person_id, source, item)
);
INSERT INTO benefit_dues_v25 (person_id, source, item, due_month, county, amount_fen, created_at)
    SELECT person_id, source, item, due_month, county, amount_fen, created_at FROM benefit_dues;
DROP TABLE benefit_dues;
ALTER TABLE benefit_dues_v25 RENAME TO benefit_dues;
CREATE INDEX IF NOT EXISTS benefit_dues_month ON benefit_dues (due_month, county);
