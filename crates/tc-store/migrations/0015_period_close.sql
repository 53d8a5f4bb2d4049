-- Period close (结账, tongchou-store::closing): every book closes its months county → city →
-- province; after a book's month is closed the ledger refuses any new transfer of that book
-- dated in it or earlier (tongchou-store::ledger, StoreError::PeriodClosed).

-- The lock the ledger reads: one row per book that has closed anything; closed_through is the
-- last closed month as yyyymm (every month up to it is closed).
CREATE TABLE IF NOT EXISTS ledger_lock (
    region         BIGINT PRIMARY KEY,
    closed_through INTEGER NOT NULL CHECK (closed_through >= 190001)
);

-- Every close and reopen, never updated: who, when, which book and month, with the approval a
-- reopen needed (maker–checker, approvals.kind = 'period_reopen') and its reason.
-- kind: 'month' (one month) or 'year' (the year's December, closing the year).
-- seq orders them (1, 2, 3, …; written under the journal head's lock).
CREATE TABLE IF NOT EXISTS period_close_events (
    id          BIGINT PRIMARY KEY,
    seq         BIGINT NOT NULL UNIQUE,
    region      BIGINT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('county', 'city', 'province')),
    period      INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('month', 'year')),
    action      TEXT NOT NULL CHECK (action IN ('close', 'reopen')),
    user_id     BIGINT NOT NULL,
    login       TEXT NOT NULL,
    at          TEXT NOT NULL,
    approval_id BIGINT,
    reason      TEXT NOT NULL,
    CHECK (action = 'close' OR approval_id IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS period_close_events_region ON period_close_events (region, period);

-- A reopening asked for (the maker's half): the approval it waits for, the book and month, the
-- reason; applied_at is set once the approved reopening has been applied (at most once).
CREATE TABLE IF NOT EXISTS period_reopen_requests (
    approval_id  BIGINT PRIMARY KEY,
    region       BIGINT NOT NULL,
    period       INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    requested_by BIGINT NOT NULL,
    requested_at TEXT NOT NULL,
    applied_at   TEXT
);
