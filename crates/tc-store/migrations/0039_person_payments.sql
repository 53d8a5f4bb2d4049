-- A pensioner reads their own payments (issue 13: "payments received"): the payment lines of one
-- person, newest month first, without scanning the month's 2.5 million lines.
CREATE INDEX IF NOT EXISTS payroll_lines_person ON payroll_lines (person_id, month);
