-- 0028: no trigger raises the claims list's version for each claim inserted. SQLite runs a trigger once
-- per row, so a build of 133,886 claims ran as many updates of list_version, a tenth to a fifth of the
-- time its claim writes took. The cached count of a list is now keyed by its version and the table's highest id
-- (psy__page_total_cached, src/lib/db.c): a new row always takes an id above every committed one here,
-- one writer at a time. Deletes and updates of the listed columns still raise the version.
DROP TRIGGER claim_list_insert;
