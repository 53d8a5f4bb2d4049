-- Each person-level fact stored once (issue 14 item 2). In the common case of a collection close
-- — one receipt paying its own person's assessment of the month in full, on time — the
-- application of that receipt repeated the assessment: its amount is the assessment's total,
-- its pooling and account parts the assessment's (the first payment of an item takes its account
-- part as paid × account / total, rounded: all of it when paid in full), no day late, no fee, the
-- close the assessment's batch. Such an application is now stored as the receipt's number on the
-- assessment (`paid_by`, written with the assessment by the close that applies the receipt);
-- every other application (a part, arrears, a late payment, a back payment) stays a row of the
-- table, renamed `applications_explicit`. `applications` is a view of both, the same columns and
-- values as the table had: the readers see the same rows.
--
-- The implied rows are found by close and county through `assessments_paid_by` (the explicit
-- ones through `applications_batch_county`), by person through the assessments' key. On
-- PostgreSQL the table keeps its partitions by period (0059) and the view unions them with the
-- assessments' (the same ranges); the index is created on every partition.
ALTER TABLE assessments ADD COLUMN paid_by TEXT;
CREATE INDEX assessments_paid_by ON assessments (batch_id, county) WHERE paid_by IS NOT NULL;
ALTER TABLE applications RENAME TO applications_explicit;
CREATE VIEW applications AS
    SELECT receipt, period, person_id, county, amount_fen, pooling_fen, account_fen, days_late,
           late_fee_fen, batch_id
      FROM applications_explicit
    UNION ALL
    SELECT paid_by, period, person_id, county, pooling_fen + account_fen, pooling_fen,
           account_fen, CAST(0 AS INTEGER), CAST(0 AS BIGINT), batch_id
      FROM assessments WHERE paid_by IS NOT NULL;
