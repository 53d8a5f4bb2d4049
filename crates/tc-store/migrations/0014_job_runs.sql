-- Who runs a month (issue 10, item 12: "a month in progress refuses a second runner").
--
-- The run lock itself is not a row: it is a PostgreSQL session-level advisory lock, or an OS file
-- lock on a file beside the SQLite database (`tongchou_store::run_lock`), so a killed runner's
-- lock dies with its process. This table only names the last runner of each (job, month), written
-- right after the lock is taken, so that a second runner is refused with who and since when.
CREATE TABLE IF NOT EXISTS job_runs (
    job          TEXT NOT NULL,
    period       INTEGER NOT NULL,
    holder       TEXT NOT NULL,
    host         TEXT NOT NULL,
    pid          BIGINT NOT NULL,
    started_at   TEXT NOT NULL,
    PRIMARY KEY (job, period)
);
