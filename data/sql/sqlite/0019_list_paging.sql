-- Paged lists (docs/api.yaml, "Lists"): every list is read newest or first by (sort key, id) after
-- the last row of the page before, and counted with the same filter. These indexes let both stop at
-- one page and count without reading the rows: claims by status in id order, the export choices
-- (ready claims per payer), sessions by date, suspense items and audit events newest first.
CREATE INDEX claim_status_id ON claim (practice_id, status, id, total_cents, paid_cents);
CREATE INDEX claim_payer_status ON claim (practice_id, payer_id, status);
CREATE INDEX claim_practice_id ON claim (practice_id, id);
CREATE INDEX client_practice_name ON client (practice_id, last_name, id);
