-- Fund ledger (crates/tc-ledger for the rules, crates/tc-store/src/ledger.rs for the storage).
-- Accounts with stored balances, transfers that are also the hash-chained journal, the journal
-- head, and the person-level lines each transfer aggregates. Transfers and lines are append-only:
-- the application never updates or deletes them; only account balances and the head change,
-- by conditional UPDATEs in the same transaction as the transfers they reflect.

-- Accounts: id = region × 1000 + kind number of the chart (data/chart-of-accounts.toml).
-- limit_kind: 0 none, 1 debits must not exceed credits, 2 credits must not exceed debits;
-- the CHECKs make the database refuse a breach even if the application had a bug.
CREATE TABLE IF NOT EXISTS ledger_account (
    id              BIGINT PRIMARY KEY,
    region          INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    limit_kind      SMALLINT NOT NULL CHECK (limit_kind IN (0, 1, 2)),
    debits_posted   BIGINT NOT NULL DEFAULT 0,
    credits_posted  BIGINT NOT NULL DEFAULT 0,
    debits_pending  BIGINT NOT NULL DEFAULT 0,
    credits_pending BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT ledger_account_region_kind UNIQUE (region, kind),
    CONSTRAINT ledger_account_nonneg CHECK (debits_posted >= 0 AND credits_posted >= 0
                                            AND debits_pending >= 0 AND credits_pending >= 0),
    CONSTRAINT ledger_account_limit_dc CHECK (limit_kind <> 1 OR debits_pending + debits_posted <= credits_posted),
    CONSTRAINT ledger_account_limit_cd CHECK (limit_kind <> 2 OR credits_pending + credits_posted <= debits_posted)
);

-- Transfers, one row per journal entry: id is the journal sequence (1, 2, 3, ...), assigned by the
-- application under the head lock; hash = SHA-256(prev_hash || canonical content).
-- op: 0 post, 1 pending, 2 post pending, 3 void pending, 4 reverse.
-- resolves = target_id for ops 2 and 3: UNIQUE, so a pending transfer is resolved at most once.
-- value_date is yyyymmdd; recorded_at is UTC microseconds; hashes are lowercase hex.
-- No foreign keys to ledger_account: the ledger validates both accounts in the same transaction
-- and `ledger check` replays it (a foreign-key check per row made batched inserts markedly slower
-- on PostgreSQL in bench-ledger, and on a sharded engine transfers and accounts need not be
-- co-located).
CREATE TABLE IF NOT EXISTS ledger_transfer (
    id             BIGINT PRIMARY KEY,
    idem_key       TEXT NOT NULL,
    op             SMALLINT NOT NULL CHECK (op IN (0, 1, 2, 3, 4)),
    target_id      BIGINT,
    resolves       BIGINT,
    debit_account  BIGINT NOT NULL,
    credit_account BIGINT NOT NULL,
    amount         BIGINT NOT NULL CHECK (amount > 0),
    category       TEXT NOT NULL,
    doc_ref        TEXT NOT NULL,
    value_date     INTEGER NOT NULL,
    linked         SMALLINT NOT NULL CHECK (linked IN (0, 1)),
    line_count     BIGINT NOT NULL CHECK (line_count >= 0),
    lines_digest   TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL,
    CONSTRAINT ledger_transfer_key UNIQUE (idem_key),
    CONSTRAINT ledger_transfer_resolves UNIQUE (resolves),
    CONSTRAINT ledger_transfer_accounts CHECK (debit_account <> credit_account),
    CONSTRAINT ledger_transfer_target CHECK ((op IN (0, 1) AND target_id IS NULL)
                                             OR (op IN (2, 3, 4) AND target_id IS NOT NULL)),
    CONSTRAINT ledger_transfer_resolution CHECK ((op IN (2, 3) AND resolves = target_id)
                                                 OR (op IN (0, 1, 4) AND resolves IS NULL))
);
CREATE INDEX IF NOT EXISTS ledger_transfer_debit ON ledger_transfer (debit_account, id);
CREATE INDEX IF NOT EXISTS ledger_transfer_credit ON ledger_transfer (credit_account, id);
CREATE INDEX IF NOT EXISTS ledger_transfer_target ON ledger_transfer (target_id);

-- The journal head: the last sequence number and hash. Every ledger write locks this row first
-- (SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite), so entries are chained in one
-- order; `ledger check` compares it with the last entry (a truncated tail is caught).
CREATE TABLE IF NOT EXISTS ledger_head (
    id   SMALLINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO ledger_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
ON CONFLICT DO NOTHING;

-- Person-level lines aggregated into a transfer (one transfer per batch, county and category).
-- line_no runs 0..line_count-1; their sum is the transfer's amount and their digest is part of the
-- transfer's hash. No foreign key: on a sharded engine lines would live with the person.
CREATE TABLE IF NOT EXISTS ledger_line (
    transfer_id BIGINT NOT NULL,
    line_no     BIGINT NOT NULL,
    person_id   BIGINT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    PRIMARY KEY (transfer_id, line_no)
);
