-- Migration of the cities' legacy records (历史数据迁移, issue 15; tc-store/src/migration.rs).
--
-- `migration_loads`: one row per city brought in (all or nothing), with the fingerprint of its
-- file set: the same files again change nothing, other files for a city already loaded are
-- refused. `contribution_years`: each person's contribution history by year (months paid,
-- average monthly base, the year's index, what was credited to the individual account), as the
-- city's system kept it; distributed by person id like the other person tables. Transfers out
-- of the province read the bases of the years since 1998 from it (国办发〔2009〕66号).
-- `migration_reviews`: an incoming person whose ID number the province already holds (registered
-- in two cities) is not merged: the incoming record waits here, as JSON, until a provincial
-- user keeps the existing record or takes the incoming one.

CREATE TABLE IF NOT EXISTS migration_loads (
    city          INTEGER PRIMARY KEY,
    fingerprint   TEXT NOT NULL,
    cutover       INTEGER NOT NULL,
    employers     BIGINT NOT NULL,
    insured       BIGINT NOT NULL,
    pensioners    BIGINT NOT NULL,
    history_rows  BIGINT NOT NULL,
    arrears       BIGINT NOT NULL,
    reviews       BIGINT NOT NULL,
    loaded_at     TEXT NOT NULL,
    loaded_by     TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS contribution_years (
    person_id     BIGINT NOT NULL,
    year          INTEGER NOT NULL,
    months        INTEGER NOT NULL CHECK (months BETWEEN 1 AND 12),
    base_fen      BIGINT NOT NULL CHECK (base_fen >= 0),
    -- the year's contribution index, scaled 1e8
    idx           BIGINT NOT NULL CHECK (idx >= 0),
    credited_fen  BIGINT NOT NULL CHECK (credited_fen >= 0),
    -- where the year came from: 'migration:CITY'
    source        TEXT NOT NULL,
    PRIMARY KEY (person_id, year)
);

CREATE TABLE IF NOT EXISTS migration_reviews (
    id               BIGINT PRIMARY KEY,
    city             INTEGER NOT NULL,
    county           INTEGER NOT NULL,
    id_number        TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('insured', 'pensioner')),
    existing_person  BIGINT NOT NULL,
    existing_county  INTEGER NOT NULL,
    record           TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('open', 'kept_existing', 'took_incoming')),
    resolved_by      TEXT,
    resolved_at      TEXT,
    CONSTRAINT migration_reviews_city_id UNIQUE (city, id_number)
);
CREATE INDEX IF NOT EXISTS migration_reviews_status ON migration_reviews (status, city);
