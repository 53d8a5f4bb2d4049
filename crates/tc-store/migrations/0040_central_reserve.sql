-- The central adjustment fund (中央调剂基金, 2018-07 to 2021) and national pooling (全国统筹,
-- 2022 on) as the province books them (use case `tongchou_app::central`), and the provincial
-- pension reserve fund (养老保险储备基金, 晋政发〔2019〕4号 二(五), 国发〔2017〕49号; use case
-- `tongchou_app::reserve`). Every row is one ledger unit (its `transfer_key`), written in the
-- same transaction.
--
-- Portable (SQLite, PostgreSQL, Citus): no sequences, no triggers; money BIGINT fen; dates
-- 'YYYY-MM-DD' TEXT.

-- One movement of a year: the remittance and the allocation as they fall due (quarter 0), the
-- quarterly advances (预缴 advance_paid, 预拨 advance_received; quarter 1-4), the year-end
-- settlement (清算, quarter 0; amount signed: + received from the centre, − paid to it, 0 when
-- nothing moved), and under national pooling the year's 上解 and 下拨 as the finance department
-- records them.
CREATE TABLE IF NOT EXISTS central_movements (
    year           INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('remittance', 'allocation', 'advance_paid',
                       'advance_received', 'settlement', 'pooling_remitted', 'pooling_received')),
    quarter        INTEGER NOT NULL CHECK (quarter >= 0 AND quarter <= 4),
    amount_fen     BIGINT NOT NULL,
    -- the allocation's basis: pensioners approved × the national per-capita amount
    pensioners     BIGINT,
    per_capita_fen BIGINT,
    value_date     TEXT NOT NULL,
    -- the document the figure comes from (the MOF/MOHRSS notice), or 'formula' for the remittance
    source_doc     TEXT NOT NULL,
    transfer_key   TEXT NOT NULL UNIQUE,
    recorded_by    TEXT NOT NULL,
    recorded_at    TEXT NOT NULL,
    PRIMARY KEY (year, kind, quarter)
);

-- State-owned equity transferred to the fund (划转国有股权), at book value.
CREATE TABLE IF NOT EXISTS reserve_holdings (
    id             BIGINT PRIMARY KEY,
    enterprise     TEXT NOT NULL,
    credit_code    TEXT NOT NULL,
    -- the share of the enterprise's equity held, a decimal ratio ('0.1')
    share          TEXT NOT NULL,
    book_value_fen BIGINT NOT NULL CHECK (book_value_fen > 0),
    transfer_date  TEXT NOT NULL,
    -- the first day it may be sold (transfer date + reserve.lockup_months)
    lockup_end     TEXT NOT NULL,
    source_doc     TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('held', 'sold')),
    sold_on        TEXT,
    proceeds_fen   BIGINT,
    transfer_key   TEXT NOT NULL UNIQUE,
    recorded_by    TEXT NOT NULL,
    recorded_at    TEXT NOT NULL,
    UNIQUE (credit_code, transfer_date)
);

-- Dividends and other returns collected by the finance department into the fund.
CREATE TABLE IF NOT EXISTS reserve_returns (
    id             BIGINT PRIMARY KEY,
    holding_id     BIGINT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('dividend', 'other')),
    amount_fen     BIGINT NOT NULL CHECK (amount_fen > 0),
    received_on    TEXT NOT NULL,
    -- the collection voucher (缴款书) number: one return per voucher
    reference      TEXT NOT NULL UNIQUE,
    transfer_key   TEXT NOT NULL UNIQUE,
    recorded_by    TEXT NOT NULL,
    recorded_at    TEXT NOT NULL
);

-- Uses of the fund to cover a year's gap, each a maker–checker approval (approvals.kind
-- 'reserve_use'): booked when approved. A use with `holding_id` sells that holding (after its
-- lock-up) for `proceeds_fen` first.
CREATE TABLE IF NOT EXISTS reserve_uses (
    id             BIGINT PRIMARY KEY,
    year           INTEGER NOT NULL,
    amount_fen     BIGINT NOT NULL CHECK (amount_fen > 0),
    holding_id     BIGINT,
    proceeds_fen   BIGINT,
    reason         TEXT NOT NULL,
    reference      TEXT NOT NULL UNIQUE,
    approval_id    BIGINT NOT NULL UNIQUE,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    recorded_by    TEXT NOT NULL,
    recorded_at    TEXT NOT NULL,
    decided_by     TEXT,
    decided_at     TEXT,
    value_date     TEXT,
    transfer_key   TEXT UNIQUE,
    CHECK ((holding_id IS NULL) = (proceeds_fen IS NULL))
);
CREATE INDEX IF NOT EXISTS reserve_uses_year ON reserve_uses (year);
