-- The contributions assessed, per period and county, kept beside the assessments themselves
-- (issue 12: gap, assessment and warnings in seconds at 10 million insured). The collection task
-- without an approved budget, the assessment's policy-execution count and the projection's
-- contributors of a month read these few rows (129 counties a month) instead of every person's
-- assessment of the year (7 M index lookups a month at 10 M on SQLite).
--
-- Written in the same transaction as the assessments they total (`collection::write_assessments`,
-- the back-payment's `release`), added to, never replaced; `month reconcile` proves a month's
-- totals equal the sum of its assessments.
CREATE TABLE IF NOT EXISTS assessment_totals (
    period       INTEGER NOT NULL,
    county       INTEGER NOT NULL,
    assessments  BIGINT NOT NULL CHECK (assessments >= 0),
    base_fen     BIGINT NOT NULL CHECK (base_fen >= 0),
    pooling_fen  BIGINT NOT NULL CHECK (pooling_fen >= 0),
    account_fen  BIGINT NOT NULL CHECK (account_fen >= 0),
    PRIMARY KEY (period, county)
);

INSERT INTO assessment_totals (period, county, assessments, base_fen, pooling_fen, account_fen)
    SELECT period, county, COUNT(*), CAST(SUM(base_fen) AS BIGINT),
           CAST(SUM(pooling_fen) AS BIGINT), CAST(SUM(account_fen) AS BIGINT)
    FROM assessments GROUP BY period, county;

-- The pensioners in payment per county (warnings, gap, central adjustment) counted from an index
-- alone: retirement month, status and its date beside the county. A separate index, not a wider
-- `pensioners_county_status`: the payroll reads the active pensioners by skip-scanning that one in
-- (county, person) order, and a wider key would hand it the rows in retirement-month order, each
-- a random read (the query plan says so; the one 10 M run made with the wider key had a payroll
-- step of 232 s on a loaded machine, not compared side by side). The register
-- of pensioners changes a few thousand rows a month, so the index costs the month nothing
-- measurable. SQLite is told to use it (`INDEXED BY` in `governance::pensioners_by_county`).
CREATE INDEX IF NOT EXISTS pensioners_in_payment ON pensioners (county, retire_period, status, status_since);

-- The payroll per month and county (the assessment's pension-payment indicator, the month's
-- payroll in the reports, what the banks confirmed paid to date), kept beside the payroll lines:
-- written with the lines (`payroll::write_planned`) and moved with them when the banks confirm a
-- payment (`mark_message_paid`, `mark_line_paid`), in the same transaction. Lines that replace an
-- earlier line (re-issues of returned payments and carried deferred lines: `reissue_of` set) are
-- also counted apart (`reissue_*`): the payment indicator counts each month's own lines only.
-- `month reconcile` proves every row against the lines.
CREATE TABLE IF NOT EXISTS payroll_totals (
    month               INTEGER NOT NULL,
    county              INTEGER NOT NULL,
    lines               BIGINT NOT NULL CHECK (lines >= 0),
    amount_fen          BIGINT NOT NULL CHECK (amount_fen >= 0),
    paid_fen            BIGINT NOT NULL CHECK (paid_fen >= 0),
    reissue_lines       BIGINT NOT NULL CHECK (reissue_lines >= 0),
    reissue_amount_fen  BIGINT NOT NULL CHECK (reissue_amount_fen >= 0),
    reissue_paid_fen    BIGINT NOT NULL CHECK (reissue_paid_fen >= 0),
    PRIMARY KEY (month, county)
);

INSERT INTO payroll_totals (month, county, lines, amount_fen, paid_fen, reissue_lines,
                            reissue_amount_fen, reissue_paid_fen)
    SELECT month, county, COUNT(*), CAST(SUM(amount_fen) AS BIGINT),
           CAST(SUM(CASE WHEN status = 'paid' THEN amount_fen ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN reissue_of IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN reissue_of IS NOT NULL THEN amount_fen ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN reissue_of IS NOT NULL AND status = 'paid' THEN amount_fen ELSE 0 END) AS BIGINT)
    FROM payroll_lines GROUP BY month, county;

-- A county agency finds a person by name (issue 13: registry search by name or ID number): the
-- name's range, then the county's, from the index; never a scan of the register.
CREATE INDEX IF NOT EXISTS persons_name ON persons (name, county);
