-- 0030: the claim's key index leads with the date of service. Claims are added in date order (a build
-- bills its dates a stretch at a time), so the old key (practice, client, payer, date) took each new claim
-- somewhere in the middle: every stretch's transaction rewrote nearly every page of it. Keyed (practice,
-- date, client, payer), new claims go at its end, and it also serves what claim_by_date served (the
-- claims of a practice's dates), which goes. A client's own claims (the claims list of a client, a
-- search by name, a clinician's clients) keep an index of their own, two columns narrow. The 133,886
-- claims of a build, inserted in 16 transactions into a table with only these two indexes: 0.55 s;
-- with the two before: 0.71 s (the sqlite3 shell, three runs each).
DROP INDEX claim_key;
DROP INDEX claim_by_date;
CREATE INDEX claim_key ON claim (practice_id, service_date, client_id, payer_id);
CREATE INDEX claim_client ON claim (practice_id, client_id);
