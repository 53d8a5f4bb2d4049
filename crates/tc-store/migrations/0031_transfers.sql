-- Transfers of the pension relationship between provinces (转移接续, 国办发〔2009〕66号; issue 15;
-- tc-store/src/transfers.rs). One row per transfer out (the certificate issued, the money booked
-- as 转移支出) or in (the certificate received; booked as 转移收入, or held for review when the
-- money received disagrees with it). The certificate is kept as the exchange document (JSON).

CREATE TABLE IF NOT EXISTS transfers (
    id               BIGINT PRIMARY KEY,
    direction        TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    person_id        BIGINT NOT NULL,
    id_number        TEXT NOT NULL,
    -- the other province (GB/T 2260, e.g. 110000)
    other_province   INTEGER NOT NULL,
    transfer_date    TEXT NOT NULL,
    paid_months      INTEGER NOT NULL CHECK (paid_months >= 0),
    balance_fen      BIGINT NOT NULL CHECK (balance_fen >= 0),
    pooling_fen      BIGINT NOT NULL CHECK (pooling_fen >= 0),
    total_fen        BIGINT NOT NULL CHECK (total_fen = balance_fen + pooling_fen),
    -- transfer in: the money received
    received_fen     BIGINT,
    status           TEXT NOT NULL CHECK (status IN ('done', 'held')),
    certificate      TEXT NOT NULL,
    certificate_sha  TEXT NOT NULL,
    ledger_key       TEXT,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    CONSTRAINT transfers_certificate UNIQUE (direction, certificate_sha)
);
CREATE INDEX IF NOT EXISTS transfers_person ON transfers (person_id);
