-- Survivor claims (crates/tc-engine/src/benefits/deaths.rs, `file_claim`): a death settlement
-- (funeral grant, survivor grant, refund of the individual account; `death_settlements`) is paid
-- to the survivors or heirs (遗属/继承人), never to the deceased's own account, and only once a
-- family member has filed a claim (申领) at the county agency with their ID number and bank
-- account. Filing the claim writes the settlement's items to `benefit_dues` (source 'death') for
-- the first payroll month that has not run, at the earliest `death_settlements.due_month`, which
-- from this migration on means "the earliest payroll month that may pay it"; the pay step pays
-- those items to the claimant's name and account.
--
-- Distribution on a sharded engine (as 0007): keyed by the deceased's person id. No foreign keys,
-- no triggers, no sequences. Months as INTEGER yyyymm, dates as 'YYYY-MM-DD' TEXT.

-- One claim per deceased person.
CREATE TABLE IF NOT EXISTS survivor_claims (
    -- the deceased (death_settlements.person_id)
    person_id           BIGINT PRIMARY KEY,
    -- the settlement's county (the agency that took the claim)
    county              INTEGER NOT NULL,
    claimant_name       TEXT NOT NULL,
    -- the claimant's 18-character resident ID number (GB 11643), never the deceased's
    claimant_id_number  TEXT NOT NULL,
    relation            TEXT NOT NULL CHECK (relation IN ('spouse', 'child', 'parent', 'other')),
    bank_code           TEXT NOT NULL,
    bank_name           TEXT NOT NULL,
    -- the claimant's account, digits only (tongchou_bank::AccountNumber)
    bank_account        TEXT NOT NULL,
    -- the day the claim was filed at the agency
    filed_on            TEXT NOT NULL,
    -- who recorded it (audit login)
    filed_by            TEXT NOT NULL,
    -- the payroll month (yyyymm) that pays it
    due_month           INTEGER NOT NULL,
    created_at          TEXT NOT NULL
);
