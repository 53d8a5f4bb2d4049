-- Tongchou on Citus (a PostgreSQL-compatible distributed engine): how each table of the
-- migrations is placed, run once on the coordinator after `tongchou` has migrated an empty
-- database (Citus 12 or later: `create_distributed_table(..., NULL)` makes a single-shard table).
--
-- NOT RUN HERE: no Citus cluster is available on this machine. What is checked, by
-- `crates/tc-store/tests/citus.rs` on plain PostgreSQL after every migration: every table is
-- placed exactly once; the distribution column of a distributed table is in its primary key and
-- in every unique constraint and unique index (after the adjustments below); co-located tables
-- share the column's type; foreign keys go only to reference tables or between co-located
-- tables on the distribution column; no triggers, no sequences, money in BIGINT. See
-- ../shared/guides/reliability-security-scale.md §C4 and docs/SCALE.md.
--
-- Statements other than the create_* calls are adjustments made before distributing, executed
-- by the test too.

-- Adjustment: the payment line's end-to-end id is derived from (county, month, item, payee,
-- attempt) (tc-app disburse::end_to_end), so it is unique per person and month exactly when it
-- is unique; Citus needs the distribution column in the unique index, and the table's
-- partitions by month (migration 0059) need the month. Lookups by end_to_end alone (a bank's
-- return) then go to every shard (index payroll_lines_e2e).
--
-- The partitioned tables of migration 0059 (payroll_lines — since 0073 payroll_line_rows — assessments, applications — since
-- 0067 applications_explicit — by period;
-- receipts, ledger_line by hash of the column below) are distributed as they are: Citus
-- distributes a partitioned table's partitions with it, co-located.
ALTER TABLE payroll_line_rows DROP CONSTRAINT payroll_lines_e2e_v13;
CREATE UNIQUE INDEX payroll_lines_e2e_v13 ON payroll_line_rows (month, person_id, end_to_end);

-- The person: everything kept per insured person or pensioner, co-located with the register
-- (joins and transactions of one person stay on one node).
SELECT create_distributed_table('persons', 'id');
SELECT create_distributed_table('account_years', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('arrears', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('assessments', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('benefit_corrections', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('benefit_dues', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('certification_events', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('certification_notices', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('contribution_years', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('death_settlements', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('pension_explanations', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('pensioner_certification', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('pensioners', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('pensions', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('person_events', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('person_hukou', 'person_id', colocate_with => 'persons');
-- `payroll_lines` is a view (migration 0073): the rows below, each joined to its message in
-- `payment_files`, a reference table (a distributed table outer-joined to a reference table is
-- answered on each shard).
SELECT create_distributed_table('payroll_line_rows', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('recovery_cases', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('recovery_movements', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('retirement_applications', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('survivor_claims', 'person_id', colocate_with => 'persons');
SELECT create_distributed_table('wage_declarations', 'person_id', colocate_with => 'persons');

-- The tax bureau's receipts, by receipt number: a receipt and what it was applied to together.
-- `applications` is a view (migration 0067): the explicit applications below and those implied
-- by an assessment paid in full (`assessments.paid_by`, with the person); a query of the view
-- by person or by close reads both sides, each routed by its own table's placement.
SELECT create_distributed_table('receipts', 'receipt');
SELECT create_distributed_table('applications_explicit', 'receipt', colocate_with => 'receipts');
SELECT create_distributed_table('unapplied', 'receipt', colocate_with => 'receipts');

-- Lookups by ID number (its blind index when fields are encrypted): the register's index and
-- the other departments' records matched against it, co-located for the cross-checks.
SELECT create_distributed_table('person_ids', 'id_number');
SELECT create_distributed_table('death_records', 'id_number', colocate_with => 'person_ids');
SELECT create_distributed_table('other_roll_entries', 'id_number', colocate_with => 'person_ids');

-- The ledger's person-level lines, by transfer.
SELECT create_distributed_table('ledger_line', 'transfer_id');

-- The province's journal and audit log are chains written in order: one shard, co-located with
-- each other (a transfer and its audit entry in one transaction).
SELECT create_distributed_table('ledger_transfer', NULL);
SELECT create_distributed_table('ledger_head', NULL, colocate_with => 'ledger_transfer');
SELECT create_distributed_table('ledger_account', NULL, colocate_with => 'ledger_transfer');
SELECT create_distributed_table('ledger_lock', NULL, colocate_with => 'ledger_transfer');
SELECT create_distributed_table('audit_log', NULL, colocate_with => 'ledger_transfer');
SELECT create_distributed_table('audit_archives', NULL, colocate_with => 'ledger_transfer');
SELECT create_distributed_table('collection_postings', NULL, colocate_with => 'ledger_transfer');
SELECT create_distributed_table('ledger_line_source', NULL, colocate_with => 'ledger_transfer');
SELECT create_distributed_table('gap_settlements', NULL, colocate_with => 'ledger_transfer');
SELECT create_distributed_table('central_movements', NULL, colocate_with => 'ledger_transfer');
SELECT create_distributed_table('reserve_holdings', NULL, colocate_with => 'ledger_transfer');
SELECT create_distributed_table('reserve_returns', NULL, colocate_with => 'ledger_transfer');
SELECT create_distributed_table('reserve_uses', NULL, colocate_with => 'ledger_transfer');

-- Reference tables: small, read everywhere, copied to every node.
SELECT create_reference_table('adjustment_runs');
SELECT create_reference_table('agency_accounts');
SELECT create_reference_table('allocations');
SELECT create_reference_table('analyses');
SELECT create_reference_table('analysis_actions');
SELECT create_reference_table('analysis_lates');
SELECT create_reference_table('analysis_lines');
SELECT create_reference_table('approvals');
SELECT create_reference_table('assessment_totals');
SELECT create_reference_table('back_payment_months');
SELECT create_reference_table('back_payments');
SELECT create_reference_table('bank_returns');
SELECT create_reference_table('breaches');
SELECT create_reference_table('budget_actions');
SELECT create_reference_table('budget_lines');
SELECT create_reference_table('budget_sections');
SELECT create_reference_table('budgets');
SELECT create_reference_table('collection_gate');
SELECT create_reference_table('county_settings');
SELECT create_reference_table('crypto_keys');
SELECT create_reference_table('crypto_runs');
SELECT create_reference_table('crypto_run_progress');
SELECT create_reference_table('employers');
SELECT create_reference_table('fund_plan_items');
SELECT create_reference_table('fund_plans');
SELECT create_reference_table('gap_shares');
SELECT create_reference_table('gap_years');
SELECT create_reference_table('historical_balances');
SELECT create_reference_table('imports');
SELECT create_reference_table('job_runs');
SELECT create_reference_table('job_steps');
SELECT create_reference_table('meta');
SELECT create_reference_table('migration_loads');
SELECT create_reference_table('migration_reports');
SELECT create_reference_table('migration_reviews');
SELECT create_reference_table('password_history');
SELECT create_reference_table('payment_files');
SELECT create_reference_table('payroll_totals');
SELECT create_reference_table('period_close_events');
SELECT create_reference_table('period_reopen_requests');
SELECT create_reference_table('plan_actions');
SELECT create_reference_table('plan_breaches');
SELECT create_reference_table('plan_chain');
SELECT create_reference_table('plan_version_items');
SELECT create_reference_table('plan_versions');
SELECT create_reference_table('return_quarantine');
SELECT create_reference_table('schema_migrations');
SELECT create_reference_table('sessions');
SELECT create_reference_table('transfer_confirmations');
SELECT create_reference_table('transfer_payments');
SELECT create_reference_table('transfer_requests');
SELECT create_reference_table('transfer_reviews');
SELECT create_reference_table('transfers');
SELECT create_reference_table('users');
