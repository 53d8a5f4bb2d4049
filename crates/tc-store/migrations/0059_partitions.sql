-- postgres only
-- Declarative partitioning of the largest tables on PostgreSQL (issue 14 item 6; docs/SCALE.md).
-- SQLite has no partitions: there this migration is empty (`migrate::dialect`).
--
-- By month where a month's work reads one month: `payroll_lines` (month), `assessments` and
-- `applications` (the contribution period) are partitioned by RANGE of the yyyymm period, in
-- blocks of five years (2015–2019 … 2035–2039), with a DEFAULT partition for anything outside
-- (legacy back payments, far periods). A month's run, report or reconciliation touches one
-- partition (pruning); an old block can be detached and archived whole.
-- By key where the rows have no period of their own: `receipts` (by receipt) and `ledger_line`
-- (by transfer) are partitioned by HASH of the same column Citus distributes them by
-- (citus/distribute.sql), four ways, so every per-partition rule (a unique key holds within a
-- partition only, so it must contain the partition column) is exercised here before a
-- distributed engine applies the same rule per shard.
--
-- Every unique key keeps its columns and name, with one change: the payment line's end-to-end
-- id is unique per month (it is derived from county, month, item, payee and attempt: unique per
-- month exactly when unique). Each table is rebuilt: created under a new name with its
-- partitions, filled from the old one, the old one dropped (its index names freed), renamed,
-- and its keys and indexes created again as before.

-- payroll_lines by month
CREATE TABLE payroll_lines_part (LIKE payroll_lines INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (month);
CREATE TABLE payroll_lines_y2015 PARTITION OF payroll_lines_part FOR VALUES FROM (201500) TO (202000);
CREATE TABLE payroll_lines_y2020 PARTITION OF payroll_lines_part FOR VALUES FROM (202000) TO (202500);
CREATE TABLE payroll_lines_y2025 PARTITION OF payroll_lines_part FOR VALUES FROM (202500) TO (203000);
CREATE TABLE payroll_lines_y2030 PARTITION OF payroll_lines_part FOR VALUES FROM (203000) TO (203500);
CREATE TABLE payroll_lines_y2035 PARTITION OF payroll_lines_part FOR VALUES FROM (203500) TO (204000);
CREATE TABLE payroll_lines_other PARTITION OF payroll_lines_part DEFAULT;
INSERT INTO payroll_lines_part SELECT * FROM payroll_lines;
DROP TABLE payroll_lines;
ALTER TABLE payroll_lines_part RENAME TO payroll_lines;
ALTER TABLE payroll_lines ADD CONSTRAINT payroll_lines_v13_pkey PRIMARY KEY (month, person_id, item, attempt);
ALTER TABLE payroll_lines ADD CONSTRAINT payroll_lines_e2e_v13 UNIQUE (month, end_to_end);
CREATE INDEX payroll_lines_county ON payroll_lines (month, county);
CREATE INDEX payroll_lines_deferred ON payroll_lines (month, county) WHERE status = 'deferred';
CREATE INDEX payroll_lines_person ON payroll_lines (person_id, month);
CREATE INDEX payroll_lines_reissue_of ON payroll_lines (reissue_of) WHERE reissue_of IS NOT NULL;
CREATE INDEX payroll_lines_returned ON payroll_lines (end_to_end) WHERE status = 'returned';
CREATE INDEX payroll_lines_e2e ON payroll_lines (end_to_end);

-- assessments by contribution period
CREATE TABLE assessments_part (LIKE assessments INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (period);
CREATE TABLE assessments_y2015 PARTITION OF assessments_part FOR VALUES FROM (201500) TO (202000);
CREATE TABLE assessments_y2020 PARTITION OF assessments_part FOR VALUES FROM (202000) TO (202500);
CREATE TABLE assessments_y2025 PARTITION OF assessments_part FOR VALUES FROM (202500) TO (203000);
CREATE TABLE assessments_y2030 PARTITION OF assessments_part FOR VALUES FROM (203000) TO (203500);
CREATE TABLE assessments_y2035 PARTITION OF assessments_part FOR VALUES FROM (203500) TO (204000);
CREATE TABLE assessments_other PARTITION OF assessments_part DEFAULT;
INSERT INTO assessments_part SELECT * FROM assessments;
DROP TABLE assessments;
ALTER TABLE assessments_part RENAME TO assessments;
ALTER TABLE assessments ADD CONSTRAINT assessments_pkey PRIMARY KEY (person_id, period);
CREATE INDEX assessments_period_county ON assessments (period, county);

-- applications by contribution period
CREATE TABLE applications_part (LIKE applications INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (period);
CREATE TABLE applications_y2015 PARTITION OF applications_part FOR VALUES FROM (201500) TO (202000);
CREATE TABLE applications_y2020 PARTITION OF applications_part FOR VALUES FROM (202000) TO (202500);
CREATE TABLE applications_y2025 PARTITION OF applications_part FOR VALUES FROM (202500) TO (203000);
CREATE TABLE applications_y2030 PARTITION OF applications_part FOR VALUES FROM (203000) TO (203500);
CREATE TABLE applications_y2035 PARTITION OF applications_part FOR VALUES FROM (203500) TO (204000);
CREATE TABLE applications_other PARTITION OF applications_part DEFAULT;
INSERT INTO applications_part SELECT * FROM applications;
DROP TABLE applications;
ALTER TABLE applications_part RENAME TO applications;
ALTER TABLE applications ADD CONSTRAINT applications_pkey PRIMARY KEY (receipt, period);
CREATE INDEX applications_batch_county ON applications (batch_id, county);
CREATE INDEX applications_person ON applications (person_id, period);

-- receipts by receipt
CREATE TABLE receipts_part (LIKE receipts INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY HASH (receipt);
CREATE TABLE receipts_h0 PARTITION OF receipts_part FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE receipts_h1 PARTITION OF receipts_part FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE receipts_h2 PARTITION OF receipts_part FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE receipts_h3 PARTITION OF receipts_part FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO receipts_part SELECT * FROM receipts;
DROP TABLE receipts;
ALTER TABLE receipts_part RENAME TO receipts;
ALTER TABLE receipts ADD CONSTRAINT receipts_pkey PRIMARY KEY (receipt);
CREATE INDEX receipts_unmatched ON receipts (batch_id, period);

-- ledger_line by transfer
CREATE TABLE ledger_line_part (LIKE ledger_line INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY HASH (transfer_id);
CREATE TABLE ledger_line_h0 PARTITION OF ledger_line_part FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE ledger_line_h1 PARTITION OF ledger_line_part FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE ledger_line_h2 PARTITION OF ledger_line_part FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE ledger_line_h3 PARTITION OF ledger_line_part FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO ledger_line_part SELECT * FROM ledger_line;
DROP TABLE ledger_line;
ALTER TABLE ledger_line_part RENAME TO ledger_line;
ALTER TABLE ledger_line ADD CONSTRAINT ledger_line_pkey PRIMARY KEY (transfer_id, line_no);
