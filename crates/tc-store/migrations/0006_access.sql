-- Access control and audit: staff and insured-person accounts, sessions, maker–checker approval
-- requests, and the append-only, hash-chained audit log (see crates/tc-store/src/access.rs and
-- audit.rs). Times are TEXT in UTC, fixed width (YYYY-MM-DDTHH:MM:SS.mmmZ), so they compare as
-- strings. The application never UPDATEs or DELETEs audit_log rows; in production the
-- application's database role is granted INSERT and SELECT only on it.

CREATE TABLE IF NOT EXISTS users (
    id                  BIGINT PRIMARY KEY,
    login               TEXT NOT NULL UNIQUE,
    display_name        TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN (
                            'province_bureau_officer', 'province_bureau_approver',
                            'finance_officer', 'finance_approver', 'city_agency',
                            'county_agency', 'tax_bureau', 'auditor', 'system_admin',
                            'security_admin', 'audit_admin', 'insured_person')),
    region              INTEGER NOT NULL,
    person_id           BIGINT,
    password_hash       TEXT NOT NULL,
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        TEXT,
    active              INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at          TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    CHECK (role <> 'insured_person' OR person_id IS NOT NULL)
);

-- The session token itself is never stored: only its SHA-256.
CREATE TABLE IF NOT EXISTS sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    client      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);

-- Maker–checker: a request submitted by one user and decided by another (never the submitter).
CREATE TABLE IF NOT EXISTS approvals (
    id            BIGINT PRIMARY KEY,
    kind          TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    region        INTEGER NOT NULL,
    submitted_by  BIGINT NOT NULL,
    submitted_at  TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'partly_approved', 'rejected')),
    decided_by    BIGINT,
    decided_at    TEXT,
    note          TEXT NOT NULL,
    CHECK (decided_by IS NULL OR decided_by <> submitted_by),
    CHECK ((status = 'pending') = (decided_by IS NULL))
);
CREATE INDEX IF NOT EXISTS approvals_object ON approvals (kind, object_id);

-- hash = SHA-256(prev_hash || canonical entry); seq is contiguous from 1.
CREATE TABLE IF NOT EXISTS audit_log (
    seq          BIGINT PRIMARY KEY,
    at           TEXT NOT NULL,
    user_id      BIGINT,
    login        TEXT NOT NULL,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    region       INTEGER,
    result       TEXT NOT NULL,
    details      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_user ON audit_log (user_id, seq);
