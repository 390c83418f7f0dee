-- 0015: what comes after a claim's first 835. `replaces_claim_id` links a replacement (frequency 7) or
-- void (8) to the claim it corrects, and `payer_claim_number` is the payer's control number of that
-- claim (CLP07 of its 835), sent in REF*F8. `cob_from_claim_id` links a secondary or tertiary claim to
-- the claim of the payer before it, whose adjudication it carries (837P loops 2320/2330/2430).
-- `late_reason` is why a claim was sent after the payer's timely-filing limit. `crossover_payer` on a
-- payment names the payer the primary forwarded the claim to (835 CLP02 19/20/21 with NM1*TT).
ALTER TABLE claim ADD COLUMN replaces_claim_id INTEGER REFERENCES claim (id);
ALTER TABLE claim ADD COLUMN payer_claim_number TEXT NOT NULL DEFAULT '';
ALTER TABLE claim ADD COLUMN cob_from_claim_id INTEGER REFERENCES claim (id);
ALTER TABLE claim ADD COLUMN late_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE payment ADD COLUMN crossover_payer TEXT NOT NULL DEFAULT '';
ALTER TABLE payment ADD COLUMN payer_key TEXT NOT NULL DEFAULT '';
ALTER TABLE payment ADD COLUMN adjudicated_on TEXT NOT NULL DEFAULT '';
CREATE INDEX claim_replaces ON claim (replaces_claim_id);
CREATE INDEX claim_cob_from ON claim (cob_from_claim_id);
