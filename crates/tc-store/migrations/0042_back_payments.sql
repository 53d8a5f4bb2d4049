-- Back-payments (补缴): past months never assessed, assessed under their own period's rules by a
-- county clerk (tongchou_app::backpay), approved above a threshold by another user, then released:
-- each month becomes an assessment and an open arrears item of its own period, collected by the
-- tax bureau like any arrears (late fees to the day, booked in the open collection period).

CREATE TABLE IF NOT EXISTS back_payments (
    id           BIGINT PRIMARY KEY,
    person_id    BIGINT NOT NULL,
    county       INTEGER NOT NULL,
    employer_id  BIGINT NOT NULL,
    payer_kind   TEXT NOT NULL CHECK (payer_kind IN ('employee', 'flexible')),
    reason       TEXT NOT NULL,
    total_fen    BIGINT NOT NULL CHECK (total_fen >= 0),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'released', 'refused')),
    approval_id  BIGINT,
    explanation  TEXT NOT NULL,
    created_by   BIGINT NOT NULL,
    created_at   TEXT NOT NULL,
    decided_by   BIGINT,
    decided_at   TEXT,
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS back_payments_county ON back_payments (county, status);
CREATE INDEX IF NOT EXISTS back_payments_person ON back_payments (person_id);

CREATE TABLE IF NOT EXISTS back_payment_months (
    back_payment_id BIGINT NOT NULL,
    period          INTEGER NOT NULL,
    declared_fen    BIGINT NOT NULL CHECK (declared_fen >= 0),
    base_fen        BIGINT NOT NULL CHECK (base_fen >= 0),
    pooling_fen     BIGINT NOT NULL CHECK (pooling_fen >= 0),
    account_fen     BIGINT NOT NULL CHECK (account_fen >= 0),
    due_date        TEXT NOT NULL,
    PRIMARY KEY (back_payment_id, period)
);

-- One row both the collection close and a back-payment's release update first, so that on
-- PostgreSQL they take turns: the close rewrites the open arrears as a whole and must not drop an
-- item released meanwhile.
CREATE TABLE IF NOT EXISTS collection_gate (
    id INTEGER PRIMARY KEY,
    n  BIGINT NOT NULL
);
INSERT INTO collection_gate (id, n) VALUES (1, 0) ON CONFLICT DO NOTHING;
