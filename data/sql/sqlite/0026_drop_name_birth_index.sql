-- 0026: the index client_by_name_birth goes. The same-person check of a new client compares names with
-- lower() and finds its candidates by birth date (client_by_birth, migration 0021); no query reads this
-- index, and every client written paid for it.
DROP INDEX client_by_name_birth;
