-- 0023 (PostgreSQL twin of sql/sqlite/0023_lookup_indexes.sql): look-ups that were a pass over every row of the practice for one
-- item. Posting an 835 finds the expected shares of each claim's sessions (to replace them with the
-- payer's patient responsibility) and checks that each member owes at most one: by session. A session's
-- page compares its notes with the client's earlier notes: by client. A clinician sees the clients of
-- their own sessions on every list: by clinician.
CREATE INDEX ledger_entry_session ON ledger_entry (session_id, client_id);
CREATE INDEX note_by_client ON note (practice_id, client_id);
CREATE INDEX session_by_clinician ON session (clinician_id, client_id);
