-- The reconciliation of a migrated city, kept (issue 15; tc-store/src/migration.rs).
--
-- `migration_reports`: one row per city loaded, written in the load's transaction: the check's
-- lines per county (the control totals beside what the files held, the 15-digit IDs upgraded,
-- the persons routed to review) as JSON, so the provincial bureau's page `/migration` shows a
-- city's reconciliation after its files are gone.

CREATE TABLE IF NOT EXISTS migration_reports (
    city          BIGINT PRIMARY KEY,
    counties      TEXT NOT NULL
);
