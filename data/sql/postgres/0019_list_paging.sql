-- Paged lists (docs/api.yaml, "Lists"): every list is read newest or first by (sort key, id) after
-- the last row of the page before, and counted with the same filter. These indexes let both stop at
-- one page and count without reading the rows: claims by status in id order, the export choices
-- (ready claims per payer), sessions by date, suspense items and audit events newest first.
CREATE INDEX claim_status_id ON claim (practice_id, status, id, total_cents, paid_cents);
CREATE INDEX claim_payer_status ON claim (practice_id, payer_id, status);
CREATE INDEX claim_practice_id ON claim (practice_id, id);
CREATE INDEX client_practice_name ON client (practice_id, last_name, id);

-- A list's version: raised by every statement that changes the rows a list counts, so a count
-- computed once can be given again until the rows change (psy__page_total_cached in src/lib/db.c).
CREATE TABLE list_version (
  name    TEXT PRIMARY KEY,
  version BIGINT NOT NULL DEFAULT 0
);
INSERT INTO list_version (name, version) VALUES ('claim', 0);
CREATE FUNCTION list_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE list_version SET version = version + 1 WHERE name = TG_TABLE_NAME;
  RETURN NULL;
END;
$$;
CREATE TRIGGER claim_list_version AFTER INSERT OR DELETE OR TRUNCATE ON claim
  FOR EACH STATEMENT EXECUTE FUNCTION list_version_bump();
CREATE TRIGGER claim_list_version_update AFTER UPDATE OF practice_id, claim_number, client_id, payer_id,
  service_date, status, total_cents, paid_cents ON claim
  FOR EACH STATEMENT EXECUTE FUNCTION list_version_bump();
