-- sqlite only
-- The ID numbers' lookup table stored in the order of its key (issue 13 item 8, the person
-- API at 10 million insured). Declared in 0003 as `id_number TEXT PRIMARY KEY`, SQLite kept it
-- as a rowid table with a second B-tree for the key: finding a person by ID number descended
-- the key's index to a rowid, then the table to the person id — two descents of four levels at
-- 10 million rows, each page read again after every commit of the audit log's writer (a commit
-- empties every pooled connection's page cache). `WITHOUT ROWID` keeps the rows in the key's
-- B-tree itself: one descent, and one tree less to write when persons are registered.
-- PostgreSQL keeps a heap and its primary key's index whatever is declared: nothing there.
CREATE TABLE person_ids_clustered (
    id_number  TEXT PRIMARY KEY,
    person_id  BIGINT NOT NULL
) WITHOUT ROWID;
INSERT INTO person_ids_clustered (id_number, person_id)
    SELECT id_number, person_id FROM person_ids ORDER BY id_number;
DROP TABLE person_ids;
ALTER TABLE person_ids_clustered RENAME TO person_ids;
