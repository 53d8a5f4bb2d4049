-- sqlite only
-- The tax bureau's receipts stored once, by their number (issue 14 item 2: the 10-million month
-- writes fewer B-trees). A receipt was three B-trees on SQLite: the table by rowid, the unique
-- index of its number (the key), and `receipts_unmatched` (batch_id, period), which only ever
-- answered "the receipts no close has applied yet" (`batch_id IS NULL`) but held an entry for
-- every receipt, applied or not — 6.9 million a month at 10 million insured, nearly all of
-- them applied in the close that wrote them. Now the table is the B-tree of its number
-- (`WITHOUT ROWID`), and the receipts waiting for a close are a partial index by the day they
-- were paid (`receipts_waiting`, what the close asks for: `batch_id IS NULL AND paid_on <= ?`),
-- which holds only those: a receipt imported before its close enters it and leaves it when the
-- close marks it applied. PostgreSQL: migration 0072.
CREATE TABLE receipts_by_number (
    receipt      TEXT PRIMARY KEY,
    person_id    BIGINT NOT NULL,
    period       INTEGER NOT NULL,
    paid_fen     BIGINT NOT NULL CHECK (paid_fen > 0),
    paid_on      TEXT NOT NULL,
    import_id    BIGINT NOT NULL,
    batch_id     BIGINT
) WITHOUT ROWID;
INSERT INTO receipts_by_number (receipt, person_id, period, paid_fen, paid_on, import_id, batch_id)
    SELECT receipt, person_id, period, paid_fen, paid_on, import_id, batch_id
      FROM receipts ORDER BY receipt;
DROP TABLE receipts;
ALTER TABLE receipts_by_number RENAME TO receipts;
CREATE INDEX receipts_waiting ON receipts (paid_on) WHERE batch_id IS NULL;
