-- 0021: clients found by birth date. A new client (client add, the client import) is checked against
-- the practice's clients of the same first and last name (case ignored) and birth date; that check reads
-- the clients born that day instead of every client of the practice, so importing a file of clients
-- no longer slows with the square of their number.
CREATE INDEX client_by_birth ON client (practice_id, birth_date);
