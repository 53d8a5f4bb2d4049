-- Fund ledger: chart of accounts, transfers, postings, balances, hash-chained journal.
-- (filled in by the ledger work; see crates/tc-ledger)
SELECT 1;
