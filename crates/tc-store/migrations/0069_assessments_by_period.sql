-- sqlite only
-- The monthly tables keyed in time order (issue 14 item 2, the months after the first). The
-- assessments were keyed (person_id, period): every month's close inserted one key between the
-- earlier months' keys of each person, in every leaf of the key's B-tree, so each month rewrote
-- the whole key of every month before it — at 10 million insured the second month's close took
-- 42 % longer than the first, the third 68 % (docs/PERFORMANCE.md, 2026-12-07). Now the rows are
-- stored in the order (period, county, person_id), `WITHOUT ROWID` (the table is that key's
-- B-tree): a month's rows go after every earlier month's, and a close's or a county's rows —
-- what the ledger check, the reconciliation, the dues file and the totals read — are one range
-- of the table itself. The assessment's identity (period, person_id) is a unique index beside
-- it, which a person's rows are probed by, month by month (`tc-store::months`). (Keyed
-- (period, person_id) with the (period, county) index beside it, SQLite's planner, without
-- statistics, read a county's rows by the key's `period = ?` range — every county's — and the
-- ledger check took five times as long.) The payment lines' index by person first (0039) goes
-- for the same reason: their key is already (month, person_id, item, attempt). PostgreSQL:
-- migration 0070.
DROP VIEW applications;
CREATE TABLE assessments_by_period (
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
    paid_by      TEXT,
    PRIMARY KEY (period, county, person_id)
) WITHOUT ROWID;
INSERT INTO assessments_by_period (person_id, period, county, employer_id, payer_kind,
        declared_fen, base_fen, pooling_fen, account_fen, due_date, batch_id, paid_by)
    SELECT person_id, period, county, employer_id, payer_kind, declared_fen, base_fen,
           pooling_fen, account_fen, due_date, batch_id, paid_by
      FROM assessments ORDER BY period, county, person_id;
DROP TABLE assessments;
ALTER TABLE assessments_by_period RENAME TO assessments;
CREATE UNIQUE INDEX assessments_period_person ON assessments (period, person_id);
CREATE VIEW applications AS
    SELECT receipt, period, person_id, county, amount_fen, pooling_fen, account_fen, days_late,
           late_fee_fen, batch_id
      FROM applications_explicit
    UNION ALL
    SELECT paid_by, period, person_id, county, pooling_fen + account_fen, pooling_fen,
           account_fen, CAST(0 AS INTEGER), CAST(0 AS BIGINT), batch_id
      FROM assessments WHERE paid_by IS NOT NULL;
DROP INDEX IF EXISTS payroll_lines_person;
