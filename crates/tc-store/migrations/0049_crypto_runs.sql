-- Field conversions and key rotations (tc-store::rekey, `tongchou keys convert|rotate`,
-- docs/CRYPTO.md §4): every ID number and bank account moved under the current data key (and
-- every lookup column to the blind index) in batches, each batch its own transaction that also
-- records how far it got here, so a run that was killed resumes where it stopped.
CREATE TABLE IF NOT EXISTS crypto_runs (
    id           BIGINT PRIMARY KEY,
    -- 'convert' (plain rows to the current key) or 'rotate' (a new data key made current)
    kind         TEXT NOT NULL CHECK (kind IN ('convert', 'rotate')),
    -- the data key every field ends under
    to_key       BIGINT NOT NULL,
    started_by   TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    -- the data keys retired at the end (comma-separated numbers), '' when none
    retired      TEXT NOT NULL DEFAULT ''
);

-- How far a run got in each column: the last key of the last committed batch.
CREATE TABLE IF NOT EXISTS crypto_run_progress (
    run_id       BIGINT NOT NULL,
    -- 'persons.id_number', 'person_ids.id_number', ...
    target       TEXT NOT NULL,
    last_key     TEXT NOT NULL,
    rows_seen    BIGINT NOT NULL,
    rows_changed BIGINT NOT NULL,
    done         INTEGER NOT NULL CHECK (done IN (0, 1)),
    PRIMARY KEY (run_id, target)
);
