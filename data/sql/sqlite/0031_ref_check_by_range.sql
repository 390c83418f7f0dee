-- 0031: PostgreSQL's statement reference checks (0025) find their parents by a range of keys when the
-- keys lie close together. SQLite keeps its foreign keys: nothing changes here.
SELECT 1;
