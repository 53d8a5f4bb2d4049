-- Person-level lines by reference (issue 14 item 2: each person-level fact stored once).
--
-- A transfer that aggregates person-level lines records their count, total and digest in the
-- journal (`line_count`, `amount`, `lines_digest`, chained into the entry's hash). Until now the
-- lines themselves were copied into `ledger_line`. The month's collection and payment transfers
-- now name instead the rows that already hold those lines, and `ledger check` recomputes count,
-- total and digest from them:
--   source 'applications': the applications of close `period` (batch_id) in `county`, the
--     column `part` ('pooling_fen' | 'account_fen' | 'late_fee_fen') where it is positive, in
--     the order (person_id, receipt, period), each line (person_id, that column);
--   source 'payroll_lines': the issued payment lines (msg_id set) of month `period`, `county`
--     and item `part`, in the order (person_id, attempt), each line (person_id, amount_fen).
-- A transfer's lines are either in `ledger_line` (older transfers, other writers) or named here,
-- never both; one with neither is reported missing. No foreign key (a sharded engine keeps this
-- with the journal).
CREATE TABLE IF NOT EXISTS ledger_line_source (
    transfer_id BIGINT PRIMARY KEY,
    source      TEXT NOT NULL CHECK (source IN ('applications', 'payroll_lines')),
    period      INTEGER NOT NULL,
    county      INTEGER NOT NULL,
    part        TEXT NOT NULL
);
