-- 0018: the claims of a practice by date of service. The claims build reads the claims of a stretch of
-- dates at once (billing_bulk.c); without this it would scan every claim of the practice each time.
CREATE INDEX claim_by_date ON claim (practice_id, service_date);
