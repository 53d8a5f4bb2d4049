-- A payment line's state by exception (issue 14 item 2: write fewer rows). Every line of the
-- month was written three times: planned by the payroll, rewritten `issued` with its message
-- by the pay step, and rewritten `paid` by the bank's answer — at 10 million insured each
-- rewrite sent every page of the month's 2.5 million lines through the write-ahead log again
-- (docs/PERFORMANCE.md, 2026-12-07). Now a line is written once and takes its state from its
-- bank message unless something happened to it alone:
--   - a county that goes out whole (nothing deferred) puts its lines in messages of contiguous
--     end-to-end ids: the message records its range (`first_e2e`, `last_e2e`) and its lines
--     stay `planned` with no `msg_id` in the rows: a planned line inside a message's range of its
--     month and county is issued in that message (the payroll writes no line into a month that
--     has payment files, `tc-store::payroll::write_planned`);
--   - a message the bank accepted whole is `paid` (one row): its lines still issued are paid;
--   - what happens to a line alone is written on its row as before, with its message: issued
--     one by one (a county short of money), paid one by one (a partial answer), returned,
--     deferred, carried.
-- The rows are the table `payroll_line_rows`; `payroll_lines` is a view with the same columns
-- and values as the table had (its readers see the same rows: the month digest is unchanged),
-- created by 0074 on PostgreSQL and 0075 on SQLite, each in the form its planner reads well. On
-- PostgreSQL the table keeps its partitions (0059), their names and its indexes.
ALTER TABLE payment_files ADD COLUMN first_e2e TEXT;
ALTER TABLE payment_files ADD COLUMN last_e2e TEXT;
ALTER TABLE payment_files ADD COLUMN paid INTEGER NOT NULL DEFAULT 0 CHECK (paid IN (0, 1));
CREATE INDEX payment_files_range ON payment_files (month, county, first_e2e);
ALTER TABLE payroll_lines RENAME TO payroll_line_rows;
