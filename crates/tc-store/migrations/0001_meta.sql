-- Portable schema rules (../shared/guides/reliability-security-scale.md §C4): 64-bit application
-- ids, money as BIGINT fen, dates as TEXT (ISO) or INTEGER yyyymm, no triggers or stored
-- procedures, invariants by constraints and conditional writes, upserts with ON CONFLICT.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
