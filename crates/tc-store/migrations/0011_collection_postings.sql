-- The ledger transfers of each collection close (统收), recorded in the same transaction as the
-- postings: one row per transfer the close posts for a county's employer part, individual part or
-- late fees (the county book's income transfer, which carries the person-level lines, and the
-- transfers that land the money in the provincial fiscal special account: the province's side of
-- the pair, or the same-day sweep through the county's income account). Reports and the
-- reconciliation find a month's postings here instead of parsing ledger keys; the reconciliation
-- compares this table with the ledger both ways.
-- kind: the county income account the money is booked to (the chart's kind key).
CREATE TABLE IF NOT EXISTS collection_postings (
    transfer_key TEXT PRIMARY KEY,
    period       INTEGER NOT NULL,
    county       INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('contribution_employer', 'contribution_individual', 'other_income')),
    amount_fen   BIGINT NOT NULL CHECK (amount_fen > 0)
);
CREATE INDEX IF NOT EXISTS collection_postings_period ON collection_postings (period, county);

-- Databases closed before this table existed: the postings from the ledger's keys, which the
-- close wrote as collect/YYYYMM/COUNTY/KIND/… (the last time that shape is read).
INSERT INTO collection_postings (transfer_key, period, county, kind, amount_fen)
SELECT idem_key,
       CAST(substr(idem_key, 9, 6) AS INTEGER),
       CAST(substr(idem_key, 16, 6) AS INTEGER),
       CASE
           WHEN idem_key LIKE 'collect/______/______/contribution@_employer/%' ESCAPE '@' THEN 'contribution_employer'
           WHEN idem_key LIKE 'collect/______/______/contribution@_individual/%' ESCAPE '@' THEN 'contribution_individual'
           ELSE 'other_income'
       END,
       amount
FROM ledger_transfer
WHERE op = 0
  AND (idem_key LIKE 'collect/______/______/contribution@_employer/%' ESCAPE '@'
       OR idem_key LIKE 'collect/______/______/contribution@_individual/%' ESCAPE '@'
       OR idem_key LIKE 'collect/______/______/other@_income/%' ESCAPE '@')
ON CONFLICT DO NOTHING;
