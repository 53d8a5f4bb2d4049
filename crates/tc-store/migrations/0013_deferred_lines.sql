-- Deferred payment lines get states of their own (issue 10: "nothing strands").
--
-- A line the pay step could not issue (a partial or rejected approval left the county account
-- short) was left `planned` for good: no later month ever paid it. Now the pay step marks it
-- `deferred`, and the next month's payroll carries it forward: a new line of that month, linked
-- to it by `reissue_of`, and the deferred line becomes `carried` (final). States of a line:
--   planned  → issued → paid | returned (→ re-issued by a later line)
--   planned  → deferred → carried (→ paid by the later line)
--
-- Neither SQLite nor PostgreSQL can widen a CHECK in place portably, so the table is rebuilt
-- (same columns, keys and indexes) inside this migration's transaction.
CREATE TABLE payroll_lines_v13 (
    month         INTEGER NOT NULL,
    person_id     BIGINT NOT NULL,
    item          TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    county        INTEGER NOT NULL,
    amount_fen    BIGINT NOT NULL CHECK (amount_fen > 0),
    end_to_end    TEXT NOT NULL,
    msg_id        TEXT,
    status        TEXT NOT NULL CHECK (status IN ('planned', 'issued', 'paid', 'returned', 'deferred', 'carried')),
    -- for a re-issue or a carried line: the end-to-end id of the line it replaces
    reissue_of    TEXT,
    reason        TEXT,
    PRIMARY KEY (month, person_id, item, attempt),
    CONSTRAINT payroll_lines_e2e_v13 UNIQUE (end_to_end)
);
INSERT INTO payroll_lines_v13 (month, person_id, item, attempt, county, amount_fen, end_to_end, msg_id, status, reissue_of, reason)
    SELECT month, person_id, item, attempt, county, amount_fen, end_to_end, msg_id, status, reissue_of, reason
    FROM payroll_lines;
DROP TABLE payroll_lines;
ALTER TABLE payroll_lines_v13 RENAME TO payroll_lines;
CREATE INDEX IF NOT EXISTS payroll_lines_county ON payroll_lines (month, county);
CREATE INDEX IF NOT EXISTS payroll_lines_returned ON payroll_lines (end_to_end) WHERE status = 'returned';
CREATE INDEX IF NOT EXISTS payroll_lines_reissue_of ON payroll_lines (reissue_of) WHERE reissue_of IS NOT NULL;
-- the open deferred lines: few, looked up by every payroll
CREATE INDEX IF NOT EXISTS payroll_lines_deferred ON payroll_lines (month, county) WHERE status = 'deferred';
-- Lines stranded before this migration: still `planned` in a month whose pay step has run.
UPDATE payroll_lines SET status = 'deferred'
 WHERE status = 'planned'
   AND EXISTS (SELECT 1 FROM job_steps j
                WHERE j.job = 'disbursement' AND j.period = payroll_lines.month AND j.step = 'pay');
