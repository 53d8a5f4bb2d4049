-- postgres only
-- Migration 0071 on PostgreSQL: the index `receipts_unmatched` (batch_id, period) held an entry
-- for every receipt, applied or not, and only ever answered "the receipts no close has applied
-- yet"; a partial index by the day they were paid (`receipts_waiting`, `batch_id IS NULL`)
-- holds only those. The table stays as 0059 partitioned it (by hash of the receipt number, its
-- key and distribution column, citus/distribute.sql).
DROP INDEX IF EXISTS receipts_unmatched;
CREATE INDEX receipts_waiting ON receipts (paid_on) WHERE batch_id IS NULL;
