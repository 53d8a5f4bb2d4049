-- A person's household registration (户籍所在地, GB/T 2260 region code) as 国办发〔2009〕66号
-- needs it (issue 15 item 5; tc-store/src/transfers.rs): the temporary contribution account of
-- men aged 50+ and women aged 40+ insured away from it, and the place of pension decided at
-- retirement approval by the 10-year rule. A table of its own beside `persons` (one row per
-- person whose registration is known; unknown means the province's own), so the register's
-- columns stay as they are.

CREATE TABLE IF NOT EXISTS person_hukou (
    person_id    BIGINT PRIMARY KEY,
    region       INTEGER NOT NULL CHECK (region >= 110000 AND region <= 829999),
    source       TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
