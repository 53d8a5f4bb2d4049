-- postgres only
-- Room on each page of the payment lines for the new version of a line whose status changes
-- (issue 14 item 1; migration 0063 took `status` out of the indexes): a line is written
-- planned by the payroll, then rewritten issued by the pay step and paid (or returned) by the
-- returns, each step its own transaction. With pages filled to half, the issued version fits
-- beside the planned one, and by the returns the planned one is dead and pruned, so both
-- changes are heap-only updates (no index entry written). Set on every partition (a
-- partitioned table has no storage of its own); existing pages fill as they are rewritten.
-- SQLite updates rows in place and has no fill factor: nothing there.
ALTER TABLE payroll_lines_y2015 SET (fillfactor = 50);
ALTER TABLE payroll_lines_y2020 SET (fillfactor = 50);
ALTER TABLE payroll_lines_y2025 SET (fillfactor = 50);
ALTER TABLE payroll_lines_y2030 SET (fillfactor = 50);
ALTER TABLE payroll_lines_y2035 SET (fillfactor = 50);
ALTER TABLE payroll_lines_other SET (fillfactor = 50);
