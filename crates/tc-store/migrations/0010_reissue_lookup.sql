-- The payroll of every month looks for returned payments not yet re-issued. Without these two
-- small partial indexes that was a scan of every payroll line ever written for each returned one
-- (quadratic: hours at 10 M insured from the second month on). Both stay tiny: only returned
-- lines and re-issue lines are in them. Partial indexes run unchanged on SQLite, PostgreSQL and
-- Citus.
CREATE INDEX IF NOT EXISTS payroll_lines_returned ON payroll_lines (end_to_end) WHERE status = 'returned';
CREATE INDEX IF NOT EXISTS payroll_lines_reissue_of ON payroll_lines (reissue_of) WHERE reissue_of IS NOT NULL;
