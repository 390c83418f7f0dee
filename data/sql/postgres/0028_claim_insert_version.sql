-- 0028: the SQLite twin drops its trigger that raised the claims list's version for each claim inserted
-- (SQLite runs triggers once per row). PostgreSQL's raises it once per statement and stays: here two
-- transactions may commit their new claims in the other order of their ids, so the highest id alone
-- would not show every insert.
SELECT 1;
