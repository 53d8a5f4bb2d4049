-- Recoveries (追回, issue 10 item 7): what ends a recovery case. A case (0007
-- `recovery_cases`) is open until the money is back or written off: each repayment into the
-- county's income account (booked through the ledger as other income, 其他收入, and remitted to
-- the provincial fiscal special account like contributions), each deduction from a later
-- monthly pension by the payroll (within `benefit.recovery_deduction_cap`; the county's book
-- shows the full pension as expenditure and the deduction as other income) and the write-off of
-- what remains
-- (with a maker–checker approval, `approvals` kind `recovery_write_off`) is one movement here.
-- The case's status follows: `recovered` when repayments reach its amount, `written_off` when the
-- rest is written off. Keyed by the case (person id first, as 0007).
CREATE TABLE IF NOT EXISTS recovery_movements (
    person_id    BIGINT NOT NULL,
    case_id      BIGINT NOT NULL,
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    kind         TEXT NOT NULL CHECK (kind IN ('repayment', 'deduction', 'write_off')),
    amount_fen   BIGINT NOT NULL CHECK (amount_fen > 0),
    on_date      TEXT NOT NULL,
    -- the voucher of a repayment (the bank's receipt number), the approval of a write-off
    reference    TEXT NOT NULL,
    -- the ledger's key of a repayment's transfers
    ledger_key   TEXT,
    approval_id  BIGINT,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (person_id, case_id, seq)
);
