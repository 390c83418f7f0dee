-- 0025: nothing changes on SQLite. On PostgreSQL (sql/postgres/0025_set_references.sql) the references
-- of the tables written in bulk -- claims, claim lines, billed members and claim history; clients, their
-- diagnoses, policies and record history -- are checked once per statement instead of once per row.
-- SQLite keeps its declared foreign keys: its checks are look-ups in the same process, and the claims
-- build turns them off for its own transactions, whose references it holds (billing_bulk.c, fk_checks).
SELECT 1;
