-- A payment line's status out of every index (issue 14 item 1: PostgreSQL at the speed of its
-- raw writes). PostgreSQL rewrites a row on UPDATE; when no indexed column changes and the
-- page has room (migration 0064) the new version stays on its page and no index is touched (a
-- "heap-only tuple" update), otherwise every index of the table gets a new entry. A column an
-- index's WHERE names counts as indexed, so the two partial indexes on `status` made each of
-- the month's two status changes per line (planned → issued, issued → paid) write five index
-- entries: 7 s of a 10 s disbursement at 1 M insured.
--
-- `held` says why a line waits for a later month's payroll: 'deferred' (the county account
-- could not cover it: carried forward next month) or 'returned' (the bank rejected it:
-- re-issued). It changes only on those rare transitions, together with `status`, and the
-- partial indexes are on it instead: the same rows, the same names. SQLite answers the same
-- queries from the same indexes.
ALTER TABLE payroll_lines ADD COLUMN held TEXT CHECK (held IN ('deferred', 'returned'));
UPDATE payroll_lines SET held = status WHERE status IN ('deferred', 'returned');
DROP INDEX IF EXISTS payroll_lines_deferred;
DROP INDEX IF EXISTS payroll_lines_returned;
CREATE INDEX payroll_lines_deferred ON payroll_lines (month, county) WHERE held = 'deferred';
CREATE INDEX payroll_lines_returned ON payroll_lines (end_to_end) WHERE held = 'returned';
