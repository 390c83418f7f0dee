-- 0024 (PostgreSQL twin of sql/sqlite/0024_line_claim_cover.sql): the claim of a session's member read
-- from the index alone. The client ledger names the claim that bills each copay and fee (the first claim
-- with a line for that session and client); with the claim id in the index, the balances and the aging
-- of a practice read no claim line rows for it.
DROP INDEX claim_line_session;
CREATE INDEX claim_line_session ON claim_line (session_id, client_id, claim_id);
