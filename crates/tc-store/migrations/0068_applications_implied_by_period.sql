-- The implied applications (migration 0067) are found without an index of their own. Only the
-- close of an assessment's own month marks it paid (`paid_by`; `tc-app::collect::implied`), so
-- an implied row's close is its period, and the ledger check finds a close's implied rows in a
-- county by the assessments' (period, county) index, partitioned by period on PostgreSQL
-- (`tc-store::ledger::sources::applications_of`). The partial index of 0067 on
-- (batch_id, county) was written for 98 % of the assessments: at 1 M insured on PostgreSQL it
-- took the assessments' raw COPY from 2.3 s to 3.2 s (docs/PERFORMANCE.md, 2026-12-07).
DROP INDEX IF EXISTS assessments_paid_by;
