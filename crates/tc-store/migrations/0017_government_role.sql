-- The government's approver of the fund budget (government_approver, tongchou-core::access):
-- the users table's role CHECK widened by rebuilding the table (the only way both SQLite and
-- PostgreSQL change a CHECK alike; no other table refers to users by a foreign key). Same
-- columns, same rows, same ids.
CREATE TABLE users_v17 (
    id                  BIGINT PRIMARY KEY,
    login               TEXT NOT NULL UNIQUE,
    display_name        TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN (
                            'province_bureau_officer', 'province_bureau_approver',
                            'finance_officer', 'finance_approver', 'city_agency',
                            'county_agency', 'tax_bureau', 'auditor', 'system_admin',
                            'security_admin', 'audit_admin', 'insured_person',
                            'government_approver')),
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
INSERT INTO users_v17 (id, login, display_name, role, region, person_id, password_hash,
                       failed_logins, locked_until, active, created_at, password_changed_at)
SELECT id, login, display_name, role, region, person_id, password_hash,
       failed_logins, locked_until, active, created_at, password_changed_at
FROM users;
DROP TABLE users;
ALTER TABLE users_v17 RENAME TO users;
