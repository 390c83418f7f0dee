-- 0023: the ledger's look-up by session. Posting an 835 finds the expected shares of
-- the claim's sessions (to replace them with the payer's patient responsibility) and checks that each
-- member owes at most one. Without it each was a pass over every entry of the practice, for every claim
-- posted.
CREATE INDEX ledger_entry_session ON ledger_entry (session_id, client_id);
