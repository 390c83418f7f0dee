-- 0029: the SQLite twin stores claim_session by its primary key (WITHOUT ROWID), so that each billed
-- member is one B-tree insert there instead of two. A PostgreSQL table is a heap beside its indexes
-- either way: nothing changes here.
SELECT 1;
