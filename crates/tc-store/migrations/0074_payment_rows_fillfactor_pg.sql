-- postgres only
-- The payment lines' pages full again (migration 0073): a line is written once and rewritten
-- only when something happens to it alone (returned, deferred, carried, issued or paid one by
-- one), so the half of each page 0064 kept free for its two rewrites per month is no longer
-- used. Existing pages keep their fill; new ones are filled.
ALTER TABLE payroll_lines_y2015 SET (fillfactor = 100);
ALTER TABLE payroll_lines_y2020 SET (fillfactor = 100);
ALTER TABLE payroll_lines_y2025 SET (fillfactor = 100);
ALTER TABLE payroll_lines_y2030 SET (fillfactor = 100);
ALTER TABLE payroll_lines_y2035 SET (fillfactor = 100);
ALTER TABLE payroll_lines_other SET (fillfactor = 100);
