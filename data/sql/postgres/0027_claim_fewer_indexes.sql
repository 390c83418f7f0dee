-- 0027: every claim a build writes updates each index of the claim table, so it keeps only those a query
-- reads. claim_status (practice, status) goes: claim_status_id (practice, status, id, totals; migration
-- 0019) begins with the same columns and serves every query it served. The claims a replacement, a void
-- or a next payer's claim points back at are found with "= ?" (and the foreign keys' own look-ups), which
-- a partial index over the rows that point somewhere serves; an original claim, nearly every claim, is no
-- longer an entry of either.
DROP INDEX claim_status;
DROP INDEX claim_replaces;
DROP INDEX claim_cob_from;
CREATE INDEX claim_replaces ON claim (replaces_claim_id) WHERE replaces_claim_id IS NOT NULL;
CREATE INDEX claim_cob_from ON claim (cob_from_claim_id) WHERE cob_from_claim_id IS NOT NULL;
