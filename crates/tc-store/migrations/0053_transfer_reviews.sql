-- Held incoming transfers reviewed (issue 15 item 4; tc-store/src/transfers.rs): a transfer in
-- whose money disagrees with its certificate is held (transfers.status = 'held'); a provincial
-- user other than the one who recorded it releases it (booked as 转移收入, the record filled) or
-- refuses it (the money goes back to the sender), with a reason. One row per held transfer:
-- written when it is held (the county that takes the person in), decided once.
-- A table of its own beside `transfers` so that the transfers' columns stay as they are.

CREATE TABLE IF NOT EXISTS transfer_reviews (
    transfer_id  BIGINT PRIMARY KEY,
    -- the county that takes the person in (NULL for holds recorded before this migration)
    county       INTEGER,
    decision     TEXT CHECK (decision IN ('released', 'refused')),
    reason       TEXT,
    decided_by   TEXT,
    decided_at   TEXT,
    CHECK ((decision IS NULL AND reason IS NULL AND decided_by IS NULL AND decided_at IS NULL)
        OR (decision IS NOT NULL AND reason IS NOT NULL AND decided_by IS NOT NULL AND decided_at IS NOT NULL))
);

-- The bank payment files (pain.001) of a transfer's money: the transfer out to the receiving
-- province's account, or a refused transfer in's money back to the sender. Debtor the
-- province's fiscal special account (财政专户) in force; one row per attempt, a returned one
-- re-issued as the next attempt. The state follows the bank's answer: issued, paid, returned.
CREATE TABLE IF NOT EXISTS transfer_payments (
    transfer_id       BIGINT NOT NULL,
    attempt           INTEGER NOT NULL CHECK (attempt >= 1 AND attempt <= 99),
    purpose           TEXT NOT NULL CHECK (purpose IN ('transfer_out', 'refund')),
    message_id        TEXT NOT NULL UNIQUE,
    end_to_end_id     TEXT NOT NULL UNIQUE,
    amount_fen        BIGINT NOT NULL CHECK (amount_fen > 0),
    creditor_name     TEXT NOT NULL,
    creditor_account  TEXT NOT NULL,
    creditor_cnaps    TEXT,
    state             TEXT NOT NULL CHECK (state IN ('issued', 'paid', 'returned')),
    file_sha          TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    answered_by       TEXT,
    answered_at       TEXT,
    answer_note       TEXT,
    PRIMARY KEY (transfer_id, attempt)
);

-- The receiving province's confirmation of a transfer out (the exchange document
-- `tongchou-transfer-confirmation/1`, docs/FORMATS.md), read once: accepted (booked there) or
-- refused (the money comes back). The same file again changes nothing.
CREATE TABLE IF NOT EXISTS transfer_confirmations (
    transfer_id   BIGINT PRIMARY KEY,
    outcome       TEXT NOT NULL CHECK (outcome IN ('accepted', 'refused')),
    booked_fen    BIGINT NOT NULL CHECK (booked_fen >= 0),
    reason        TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    file_sha      TEXT NOT NULL UNIQUE,
    read_by       TEXT NOT NULL,
    read_at       TEXT NOT NULL
);
