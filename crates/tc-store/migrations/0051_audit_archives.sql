-- Audit archives (issue 16 item 6): entries older than the retention period
-- (policy retention.audit_log_months) written to a sealed archive file that verifies against the
-- chain, then removed from audit_log in the same transaction that records the archive here and
-- appends the `audit.archive` entry. The live log then starts at first_seq of the next entry and
-- `audit verify` begins from the newest archive's last_hash (the chain link). One row per archive,
-- contiguous: each archive's prev_hash is the previous archive's last_hash (GENESIS for the first).
CREATE TABLE IF NOT EXISTS audit_archives (
    id          BIGINT PRIMARY KEY,
    first_seq   BIGINT NOT NULL,
    last_seq    BIGINT NOT NULL UNIQUE,
    prev_hash   TEXT NOT NULL,
    last_hash   TEXT NOT NULL,
    entries     BIGINT NOT NULL,
    before_day  TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    archived_at TEXT NOT NULL,
    archived_by TEXT NOT NULL
);
