-- postgres only
-- Migration 0069 on PostgreSQL: the assessments' key (person_id, period) becomes
-- (period, person_id), on every period partition (0059), so that a month's keys go after the
-- earlier months' instead of between them; the rows stay in their heap (PostgreSQL has no
-- clustered table). The payment lines' index by person first (0039, 0059) goes: their key is
-- already (month, person_id, item, attempt). A person's rows are read month by month
-- (`tc-store::months`). The key keeps the distribution column (person_id,
-- citus/distribute.sql).
ALTER TABLE assessments DROP CONSTRAINT assessments_pkey;
ALTER TABLE assessments ADD CONSTRAINT assessments_pkey PRIMARY KEY (period, person_id);
DROP INDEX IF EXISTS payroll_lines_person;
